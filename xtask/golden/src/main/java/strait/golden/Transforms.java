package strait.golden;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * Golden vectors for Strait's transforms: runs Kafka's own transforms and predicates over the
 * corpus files {@code <Name>.cases.jsonl} of a directory and writes, next to each,
 * {@code <Name>.java.jsonl} with one line per case: the outcome of every input record (output
 * record, dropped, or the exception the chain threw), or the error that rejected the config.
 *
 * <p>The chain is built as Kafka Connect's {@code ConnectorConfig} builds it (4.1.2):
 * <ol>
 *   <li>the base keys {@code transforms} / {@code predicates} are parsed (lists, duplicate aliases
 *       rejected);</li>
 *   <li>the config def is "enriched" ({@code ConnectorConfig.enrich}): per alias a {@code type}
 *       key (a class) and the plugin's own {@code ConfigDef} embedded under
 *       {@code transforms.<alias>.} / {@code predicates.<alias>.} (transforms also get the implicit
 *       {@code predicate} and {@code negate} keys, which mask the plugin's keys of that name);
 *       then every key is parsed and validated with that def;</li>
 *   <li>{@code transformationStages}: per transform alias, a new instance configured with
 *       {@code originalsWithPrefix("transforms.<alias>.")} minus {@code predicate} and
 *       {@code negate} (so {@code type} is included), and when {@code predicate} is set, a new
 *       predicate instance configured with {@code originalsWithPrefix("predicates.<p>.")}.</li>
 * </ol>
 * A failure in step 1 or 2 is {@code config_error} with {@code "stage":"validate"} (its
 * messages name the prefixed key, as the worker reports them); in step 3 it is
 * {@code "stage":"configure"} and the exception thrown by {@code configure} (Java's worker wraps it
 * in a ConnectException; the harness records the cause).
 *
 * <p>Records are SinkRecords built as WorkerSinkTask builds them: key and value from the key /
 * value JsonConverter ({@code schemas.enable} per the case's {@code converter} mode), headers
 * from a JsonConverter header converter with {@code schemas.enable=true}. Each stage applies its
 * transform when there is no predicate or when {@code negate ^ predicate.test(record)}
 * (TransformationStage); a null result drops the record; any exception is the record's
 * {@code error}. Outputs are written back with the same converters and embedded as JSON.
 *
 * <p>Usage: {@code Transforms <directory>}.
 */
public final class Transforms {

    /** Reads the corpus: floats as doubles, as Strait's runner (serde_json, f64) reads it. */
    private static final ObjectMapper IN = new ObjectMapper();

    /** Writes converter output exactly as the converter wrote it (decimal digits kept). */
    private static final ObjectMapper OUT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private static final String TRANSFORMS = "transforms";
    private static final String PREDICATES = "predicates";
    private static final String PREDICATE = "predicate";
    private static final String NEGATE = "negate";

    /** A configured stage, as TransformationStage holds it. */
    private record Stage(Transformation<SinkRecord> transform, Predicate<SinkRecord> predicate, boolean negate) {}

    /** The chain could not be built. */
    private static final class ConfigError extends Exception {
        final String stage;
        final Throwable error;

        ConfigError(String stage, Throwable error) {
            super(error);
            this.stage = stage;
            this.error = error;
        }
    }

    /** A record's payloads, as a consumer would hand them over. */
    private record Converters(JsonConverter key, JsonConverter value, JsonConverter header) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: strait.golden.Transforms <directory with *.cases.jsonl>");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".cases.jsonl")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalStateException("no *.cases.jsonl in " + dir);
        }
        for (Path file : files) {
            String base = file.getFileName().toString().replaceFirst("\\.cases\\.jsonl$", "");
            Path out = dir.resolve(base + ".java.jsonl");
            int cases = 0;
            Set<String> names = new HashSet<>();
            try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                int lineNo = 0;
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    ObjectNode result;
                    try {
                        JsonNode c = IN.readTree(line);
                        String name = text(c, "name");
                        if (!names.add(name)) {
                            throw new IllegalArgumentException("duplicate case name " + name);
                        }
                        result = runCase(c);
                    } catch (RuntimeException | IOException e) {
                        throw new IllegalStateException(file + ":" + lineNo + ": " + e.getMessage(), e);
                    }
                    w.write(OUT.writeValueAsString(result));
                    w.write('\n');
                    cases++;
                }
            }
            System.out.println("wrote " + cases + " cases to " + out);
        }
    }

    private static ObjectNode runCase(JsonNode c) throws IOException {
        ObjectNode out = OUT.createObjectNode();
        out.put("name", text(c, "name"));
        boolean schemas = switch (text(c, "converter")) {
            case "schemas" -> true;
            case "schemaless" -> false;
            default -> throw new IllegalArgumentException("converter must be \"schemas\" or \"schemaless\"");
        };
        Map<String, String> config = strings(c, "config");
        Map<String, String> extra = strings(c, "converter_config");
        Converters conv = converters(schemas, extra);

        List<Stage> chain;
        try {
            chain = buildChain(config);
        } catch (ConfigError e) {
            ObjectNode err = error(e.error);
            err.put("stage", e.stage);
            out.set("config_error", err);
            return out;
        }
        JsonNode records = c.get("records");
        if (records == null || !records.isArray() || records.isEmpty()) {
            throw new IllegalArgumentException("a case whose config is valid needs \"records\"");
        }
        ArrayNode outcomes = out.putArray("records");
        int index = 0;
        for (JsonNode r : records) {
            outcomes.add(outcome(chain, record(r, index++, conv), conv));
        }
        return out;
    }

    // ---- chain construction (ConnectorConfig) ---------------------------------------------

    private static List<Stage> buildChain(Map<String, String> props) throws ConfigError {
        AbstractConfig config;
        try {
            ConfigDef base = new ConfigDef()
                    .define(TRANSFORMS, Type.LIST, Collections.emptyList(), aliasValidator("transformation"),
                            Importance.LOW, "Aliases for the transformations to be applied to records.")
                    .define(PREDICATES, Type.LIST, Collections.emptyList(), aliasValidator("predicate"),
                            Importance.LOW, "Aliases for the predicates used by transformations.");
            // ConnectorConfig's constructor: super(configDef, props), then the enriched config.
            new AbstractConfig(base, props, false);
            ConfigDef enriched = new ConfigDef(base);
            enrich(enriched, TRANSFORMS, Transformation.class, props);
            enrich(enriched, PREDICATES, Predicate.class, props);
            config = new AbstractConfig(enriched, props, false);
        } catch (RuntimeException e) {
            throw new ConfigError("validate", e);
        }
        List<Stage> stages = new ArrayList<>();
        try {
            for (String alias : config.getList(TRANSFORMS)) {
                String prefix = TRANSFORMS + "." + alias + ".";
                @SuppressWarnings("unchecked")
                Transformation<SinkRecord> transform =
                        (Transformation<SinkRecord>) Utils.newInstance(config.getClass(prefix + "type"));
                Map<String, Object> configs = config.originalsWithPrefix(prefix);
                String predicateAlias = (String) configs.remove(PREDICATE);
                Object negate = configs.remove(NEGATE);
                transform.configure(configs);
                Predicate<SinkRecord> predicate = null;
                if (predicateAlias != null) {
                    String predicatePrefix = PREDICATES + "." + predicateAlias + ".";
                    @SuppressWarnings("unchecked")
                    Predicate<SinkRecord> p =
                            (Predicate<SinkRecord>) Utils.newInstance(config.getClass(predicatePrefix + "type"));
                    p.configure(config.originalsWithPrefix(predicatePrefix));
                    predicate = p;
                }
                stages.add(new Stage(transform, predicate,
                        negate != null && Boolean.parseBoolean(negate.toString())));
            }
        } catch (RuntimeException e) {
            throw new ConfigError("configure", e);
        }
        return stages;
    }

    /** ConnectorConfig.aliasValidator. */
    private static ConfigDef.Validator aliasValidator(String kind) {
        return ConfigDef.CompositeValidator.of(new ConfigDef.NonNullValidator(), ConfigDef.LambdaValidator.with(
                (name, value) -> {
                    @SuppressWarnings("unchecked")
                    List<String> aliases = (List<String>) value;
                    if (aliases.size() > new HashSet<>(aliases).size()) {
                        throw new ConfigException(name, value, "Duplicate alias provided.");
                    }
                },
                () -> "unique " + kind + " aliases"));
    }

    /** ConnectorConfig.EnrichablePlugin.enrich (with a connector class set, full config required). */
    private static void enrich(ConfigDef def, String aliasConfig, Class<?> baseClass, Map<String, String> props) {
        Object aliases = ConfigDef.parseType(aliasConfig, props.get(aliasConfig), Type.LIST);
        if (!(aliases instanceof List<?> list)) {
            return;
        }
        boolean transforms = baseClass == Transformation.class;
        String kind = transforms ? "transformation" : "predicate";
        for (Object o : new LinkedHashSet<>(list)) {
            String alias = (String) o;
            String prefix = aliasConfig + "." + alias + ".";
            String typeConfig = prefix + "type";
            ConfigDef.Validator typeValidator = ConfigDef.LambdaValidator.with(
                    (name, value) -> {
                        if (transforms) {
                            validateNegate(props, prefix);
                        }
                        if (value != null) {
                            pluginConfigDef(typeConfig, baseClass, props);
                        }
                    },
                    () -> "valid configs for " + alias + " " + kind);
            def.define(typeConfig, Type.CLASS, ConfigDef.NO_DEFAULT_VALUE, typeValidator, Importance.HIGH,
                    "Class for the '" + alias + "' " + kind + ".");
            ConfigDef own = new ConfigDef();
            if (transforms) {
                own.define(PREDICATE, Type.STRING, null, Importance.MEDIUM,
                                "The alias of a predicate used to determine whether to apply this transformation.")
                        .define(NEGATE, Type.BOOLEAN, false, Importance.MEDIUM,
                                "Whether the configured predicate should be negated.");
            }
            if (props.get(typeConfig) == null) {
                throw new ConfigException(typeConfig, null, "Not a " + baseClass.getSimpleName());
            }
            for (ConfigDef.ConfigKey key : pluginConfigDef(typeConfig, baseClass, props).configKeys().values()) {
                if (transforms && (PREDICATE.equals(key.name) || NEGATE.equals(key.name))) {
                    continue;
                }
                own.define(key);
            }
            def.embed(prefix, aliasConfig + ": " + alias, 0, own);
        }
    }

    /** EnrichablePlugin's transformation validateProps. */
    private static void validateNegate(Map<String, String> props, String prefix) {
        String negate = prefix + NEGATE;
        String predicate = prefix + PREDICATE;
        if (props.containsKey(negate) && !props.containsKey(predicate)) {
            throw new ConfigException("Config '" + negate + "' was provided "
                    + "but there is no config '" + predicate + "' defining a predicate to be negated.");
        }
    }

    /** EnrichablePlugin.getConfigDefFromPlugin: the plugin class's own ConfigDef. */
    private static ConfigDef pluginConfigDef(String key, Class<?> baseClass, Map<String, String> props) {
        Class<?> cls = (Class<?>) ConfigDef.parseType(key, props.get(key), Type.CLASS);
        Utils.ensureConcreteSubclass(baseClass, cls);
        Object plugin;
        try {
            plugin = Utils.newInstance(cls);
        } catch (Exception e) {
            throw new ConfigException(key, props.get(key),
                    "Error getting config definition from " + baseClass.getSimpleName() + ": " + e.getMessage());
        }
        ConfigDef def = plugin instanceof Transformation<?> t ? t.config() : ((Predicate<?>) plugin).config();
        if (def == null) {
            throw new IllegalStateException(cls.getName() + ".config() must return a ConfigDef that is not null.");
        }
        return def;
    }

    // ---- records --------------------------------------------------------------------------

    private static Converters converters(boolean schemas, Map<String, String> extra) {
        Map<String, Object> props = new LinkedHashMap<>(extra);
        props.put("schemas.enable", String.valueOf(schemas));
        JsonConverter key = new JsonConverter();
        key.configure(props, true);
        JsonConverter value = new JsonConverter();
        value.configure(props, false);
        JsonConverter header = new JsonConverter();
        header.configure(Map.of("schemas.enable", "true", "converter.type", "header"));
        return new Converters(key, value, header);
    }

    /** The SinkRecord WorkerSinkTask builds for a consumed record. */
    private static SinkRecord record(JsonNode r, int index, Converters conv) throws IOException {
        String topic = text(r, "topic");
        int partition = r.path("partition").asInt(0);
        long offset = r.has("offset") ? r.get("offset").asLong() : index;
        JsonNode ts = r.get("timestamp");
        Long timestamp = ts == null || ts.isNull() ? null : ts.asLong();
        SchemaAndValue key = conv.key().toConnectData(topic, bytes(r.get("key")));
        SchemaAndValue value = conv.value().toConnectData(topic, bytes(r.get("value")));
        Headers headers = new ConnectHeaders();
        JsonNode hs = r.get("headers");
        if (hs != null && !hs.isNull()) {
            for (JsonNode h : hs) {
                if (!h.isArray() || h.size() != 2 || !h.get(0).isTextual()) {
                    throw new IllegalArgumentException("a header is [\"key\", <envelope or null>], not " + h);
                }
                String k = h.get(0).asText();
                headers.add(k, conv.header().toConnectHeader(topic, k, bytes(h.get(1))));
            }
        }
        return new SinkRecord(topic, partition, key.schema(), key.value(), value.schema(), value.value(), offset,
                timestamp, timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME,
                headers);
    }

    /** TransformationChain.apply over the stages, then the record as the converters write it. */
    private static ObjectNode outcome(List<Stage> chain, SinkRecord input, Converters conv) throws IOException {
        ObjectNode out = OUT.createObjectNode();
        SinkRecord r = input;
        try {
            for (Stage s : chain) {
                boolean apply = s.predicate() == null || (s.negate() ^ s.predicate().test(r));
                if (apply) {
                    r = s.transform().apply(r);
                }
                if (r == null) {
                    out.put("dropped", true);
                    return out;
                }
            }
        } catch (Exception e) {
            out.set("error", error(e));
            return out;
        }
        ObjectNode rec = OUT.createObjectNode();
        try {
            rec.put("topic", r.topic());
            if (r.kafkaPartition() == null) {
                rec.putNull("partition");
            } else {
                rec.put("partition", r.kafkaPartition());
            }
            if (r.timestamp() == null) {
                rec.putNull("timestamp");
            } else {
                rec.put("timestamp", r.timestamp());
            }
            rec.set("key", json(conv.key().fromConnectData(r.topic(), r.keySchema(), r.key())));
            rec.set("value", json(conv.value().fromConnectData(r.topic(), r.valueSchema(), r.value())));
            ArrayNode headers = rec.putArray("headers");
            for (Header h : r.headers()) {
                ArrayNode pair = headers.addArray();
                pair.add(h.key());
                pair.add(json(conv.header().fromConnectHeader(r.topic(), h.key(), h.schema(), h.value())));
            }
        } catch (RuntimeException e) {
            // The transform produced something the converter cannot write (a schema/value mismatch).
            out.set("encode_error", error(e));
            return out;
        }
        return rec;
    }

    // ---- JSON helpers -----------------------------------------------------------------------

    private static ObjectNode error(Throwable e) {
        ObjectNode err = OUT.createObjectNode();
        err.put("class", e.getClass().getName());
        if (e.getMessage() == null) {
            err.putNull("message");
        } else {
            // Object.toString's identity hash (`InsertField$InsertionSpec@7dc0f706`) differs on
            // every run: written without it, so regenerating the vectors is reproducible.
            err.put("message", e.getMessage().replaceAll("(?<=[\\w$])@[0-9a-f]+\\b", ""));
        }
        return err;
    }

    private static JsonNode json(byte[] bytes) throws IOException {
        return bytes == null ? OUT.nullNode() : OUT.readTree(bytes);
    }

    /** A payload as the consumer hands it over: JSON null is a null payload. */
    private static byte[] bytes(JsonNode node) throws IOException {
        return node == null || node.isNull() ? null : IN.writeValueAsBytes(node);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        return v.asText();
    }

    private static Map<String, String> strings(JsonNode node, String field) {
        Map<String, String> map = new LinkedHashMap<>();
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return map;
        }
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("\"" + field + "\"." + e.getKey() + " must be a string");
            }
            map.put(e.getKey(), e.getValue().asText());
        }
        return map;
    }
}
