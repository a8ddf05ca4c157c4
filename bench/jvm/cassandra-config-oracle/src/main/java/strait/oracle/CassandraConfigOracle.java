package strait.oracle;

import com.datastax.oss.common.sink.config.AuthenticatorConfig;
import com.datastax.oss.common.sink.config.CassandraSinkConfig;
import com.datastax.oss.common.sink.config.ContactPointsValidator;
import com.datastax.oss.common.sink.config.SslConfig;
import com.datastax.oss.common.sink.config.TableConfig;
import com.datastax.oss.common.sink.config.TopicConfig;
import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.internal.core.type.codec.registry.DefaultCodecRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Runs DataStax's own config parser (messaging-connectors-commons-core 1.0.15,
 * {@code new CassandraSinkConfig(props)}) on every case of a JSON input file and prints what it
 * says, as JSON: the exception (class and message) or the parsed values, plus what Kafka
 * Connect's REST validation sees ({@code GLOBAL_CONFIG_DEF.validate}) and the checks DataStax
 * runs later, at task start (ignoreErrors, contact points, codec settings).
 *
 * <p>Input: {@code [{"name": "...", "props": {"key": "value", ...}}, ...]}. Output: the same list,
 * each case with a "java" object. Strait's Cassandra config tests read the output as their golden
 * file (connectors/tests/golden/cassandra_config.json). Build and run: see README.md beside the
 * pom.
 */
public class CassandraConfigOracle {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> STRAIT_DRIVER_KEYS =
      List.of(
          "datastax-java-driver.basic.contact-points",
          "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
          "datastax-java-driver.basic.request.timeout",
          "datastax-java-driver.advanced.connection.pool.local.size",
          "datastax-java-driver.advanced.protocol.compression",
          "datastax-java-driver.advanced.metrics.node.cql-messages.highest-latency");

  public static void main(String[] args) throws Exception {
    if (args[0].equals("--mappings")) {
      mappings(args[1]);
      return;
    }
    JsonNode cases = JSON.readTree(new File(args[0]));
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode c : cases) {
      Map<String, String> props = new TreeMap<>();
      c.get("props").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
      ObjectNode result = JSON.createObjectNode();
      result.put("name", c.get("name").asText());
      if (c.has("note")) {
        result.put("note", c.get("note").asText());
      }
      result.set("props", c.get("props"));
      result.set("java", run(props));
      out.add(result);
    }
    // One case per line: small, and diffs well when a case is added.
    StringBuilder text = new StringBuilder("[\n");
    for (int i = 0; i < out.size(); i++) {
      text.append(JSON.writeValueAsString(out.get(i))).append(i + 1 < out.size() ? ",\n" : "\n");
    }
    System.out.print(text.append("]\n"));
  }

  /**
   * The mapping grammar alone: for each mapping text of the input list, DataStax's error (what
   * follows "for configuration topic.t.ks.tb.mapping: ") or its parsed pairs (column, field, in
   * DataStax's internal names). Output: one {@code [text, {"error": …} | {"mapping": […]}]} a line.
   */
  private static void mappings(String file) throws Exception {
    String key = "topic.t.ks.tb.mapping";
    StringBuilder text = new StringBuilder("[\n");
    JsonNode inputs = JSON.readTree(new File(file));
    for (int i = 0; i < inputs.size(); i++) {
      String mapping = inputs.get(i).asText();
      ArrayNode line = JSON.createArrayNode();
      line.add(mapping);
      ObjectNode result = line.addObject();
      try {
        CassandraSinkConfig config = new CassandraSinkConfig(Map.of(key, mapping));
        ArrayNode pairs = result.putArray("mapping");
        TableConfig table = config.getTopicConfigs().get("t").getTableConfigs().iterator().next();
        for (Map.Entry<CqlIdentifier, CqlIdentifier> e : table.getMapping().entrySet()) {
          pairs.addArray().add(e.getKey().asInternal()).add(e.getValue().asInternal());
        }
      } catch (RuntimeException e) {
        String prefix = "Invalid value '" + mapping.trim() + "' for configuration " + key + ": ";
        String message = e.getMessage();
        if (!message.startsWith(prefix)) {
          throw new IllegalStateException("unexpected message: " + message, e);
        }
        result.put("error", message.substring(prefix.length()));
      }
      text.append(JSON.writeValueAsString(line)).append(i + 1 < inputs.size() ? ",\n" : "\n");
    }
    System.out.print(text.append("]\n"));
  }

  private static ObjectNode run(Map<String, String> props) {
    ObjectNode java = JSON.createObjectNode();
    // What Kafka Connect's REST validation reports: the connector's config() is
    // GLOBAL_CONFIG_DEF, and the default Connector.validate runs only that.
    ObjectNode validate = JSON.createObjectNode();
    for (ConfigValue v : CassandraSinkConfig.GLOBAL_CONFIG_DEF.validate(props)) {
      if (!v.errorMessages().isEmpty()) {
        ArrayNode errors = validate.putArray(v.name());
        v.errorMessages().forEach(errors::add);
      }
    }
    java.set("rest_validate_errors", validate);
    CassandraSinkConfig config;
    try {
      config = new CassandraSinkConfig(props);
    } catch (RuntimeException e) {
      java.put("error_class", e.getClass().getSimpleName());
      java.put("error", e.getMessage());
      return java;
    }
    java.putNull("error");
    ObjectNode parsed = java.putObject("parsed");
    ArrayNode cps = parsed.putArray("contactPoints");
    config.getContactPoints().forEach(cps::add);
    parsed.put("port", config.getPort());
    parsed.put("localDc", config.getLocalDc().orElse(null));
    parsed.put("maxConcurrentRequests", config.getMaxConcurrentRequests());
    parsed.put("maxNumberOfRecordsInBatch", config.getMaxNumberOfRecordsInBatch());
    parsed.put("jmx", config.getJmx());
    parsed.put("jmxConnectorDomain", config.getJmxConnectorDomain());
    try {
      parsed.put("ignoreErrors", config.getIgnoreErrors().name());
    } catch (RuntimeException e) {
      parsed.put("ignoreErrors", "error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    try {
      ContactPointsValidator.validateContactPoints(config.getContactPoints());
      parsed.putNull("contactPointsCheck");
    } catch (RuntimeException e) {
      parsed.put("contactPointsCheck", e.getMessage());
    }
    AuthenticatorConfig auth = config.getAuthenticatorConfig();
    if (auth.getProvider() == AuthenticatorConfig.Provider.None) {
      parsed.put("auth", "None");
    } else {
      ObjectNode a = parsed.putObject("auth");
      a.put("provider", auth.getProvider().name());
      a.put("username", auth.getUsername());
      a.put("password", auth.getPassword());
    }
    SslConfig ssl = config.getSslConfig();
    if (ssl == null) {
      parsed.putNull("ssl");
    } else if (ssl.getProvider() == SslConfig.Provider.None) {
      parsed.put("ssl", "None");
    } else {
      ObjectNode s = parsed.putObject("ssl");
      s.put("provider", ssl.getProvider().name());
      s.put("hostnameValidation", ssl.requireHostnameValidation());
      ArrayNode suites = s.putArray("cipherSuites");
      ssl.getCipherSuites().forEach(suites::add);
      s.put("truststorePath", String.valueOf(ssl.getTruststorePath()));
      s.put("keystorePath", String.valueOf(ssl.getKeystorePath()));
      s.put("keyCertChain", String.valueOf(ssl.getOpenSslKeyCertChain()));
      s.put("privateKey", String.valueOf(ssl.getOpenSslPrivateKey()));
    }
    // The driver settings Strait maps onto its own (the rest: metrics defaults, passthrough).
    ObjectNode driver = parsed.putObject("driver");
    new TreeMap<>(config.getJavaDriverSettings())
        .forEach(
            (k, v) -> {
              if (STRAIT_DRIVER_KEYS.stream().anyMatch(k::startsWith)) {
                driver.put(k, v);
              }
            });
    ObjectNode topics = parsed.putObject("topics");
    for (TopicConfig topic : new TreeMap<>(config.getTopicConfigs()).values()) {
      ObjectNode t = topics.putObject(topic.getTopicName());
      ObjectNode codec = t.putObject("codec");
      for (String s : new String[] {"locale", "timeZone", "timestamp", "date", "time", "unit"}) {
        codec.put(s, topic.getString("topic." + topic.getTopicName() + ".codec." + s));
      }
      try {
        topic.createCodecFactory(new DefaultCodecRegistry("oracle"));
        t.putNull("codecCheck");
      } catch (RuntimeException e) {
        t.put("codecCheck", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      ArrayNode tables = t.putArray("tables");
      List<TableConfig> sorted = new ArrayList<>(topic.getTableConfigs());
      sorted.sort(Comparator.comparing(TableConfig::getKeyspaceAndTable));
      for (TableConfig table : sorted) {
        ObjectNode tb = tables.addObject();
        tb.put("keyspace", table.getKeyspace().asInternal());
        tb.put("table", table.getTable().asInternal());
        ArrayNode mapping = tb.putArray("mapping");
        for (Map.Entry<CqlIdentifier, CqlIdentifier> e : table.getMapping().entrySet()) {
          ArrayNode pair = mapping.addArray();
          pair.add(e.getKey().asInternal());
          pair.add(e.getValue().asInternal());
        }
        tb.put("consistencyLevel", table.getConsistencyLevel().name());
        tb.put("ttl", table.getTtl());
        tb.put("ttlTimeUnit", table.getTtlTimeUnit().name());
        tb.put("timestampTimeUnit", table.getTimestampTimeUnit().name());
        tb.put("nullToUnset", table.isNullToUnset());
        tb.put("deletesEnabled", table.isDeletesEnabled());
        tb.put("query", table.getQuery().orElse(null));
      }
    }
    return java;
  }
}
