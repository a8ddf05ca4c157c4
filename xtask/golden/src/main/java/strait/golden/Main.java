package strait.golden;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Golden vectors for Strait's JsonConverter: runs Kafka's own {@code JsonConverter.fromConnectData}
 * over a fixed list of Connect schema + value cases and writes, per case, one JSON line with the
 * converter options and the exact output bytes (base64, or null for a null result).
 *
 * <p>Usage: {@code Main <output.jsonl>}. Maps are LinkedHashMaps so the output order is stable.
 */
public final class Main {

    /** One case: what to convert and with which converter options. */
    private record Case(String name, Schema schema, Object value, boolean schemasEnable,
                        String decimalFormat, boolean isKey, boolean replaceNullWithDefault) {}

    private final List<Case> cases = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: strait.golden.Main <output.jsonl>");
            System.exit(2);
        }
        Main main = new Main();
        main.primitives();
        main.floats();
        main.strings();
        main.containers();
        main.structs();
        main.defaults();
        main.logicalTypes();
        main.schemaless();

        ObjectMapper mapper = new ObjectMapper();
        Path out = Path.of(args[0]);
        try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (Case c : main.cases) {
                ObjectNode line = mapper.createObjectNode();
                line.put("name", c.name());
                line.put("schemas_enable", c.schemasEnable());
                line.put("decimal_format", c.decimalFormat());
                line.put("is_key", c.isKey());
                line.put("replace_null_with_default", c.replaceNullWithDefault());
                byte[] bytes = convert(c);
                if (bytes == null) {
                    line.putNull("expected_base64");
                } else {
                    line.put("expected_base64", Base64.getEncoder().encodeToString(bytes));
                }
                w.write(mapper.writeValueAsString(line));
                w.write('\n');
            }
        }
        System.out.println("wrote " + main.cases.size() + " vectors to " + out);
    }

    private static byte[] convert(Case c) {
        try (JsonConverter converter = new JsonConverter()) {
            converter.configure(Map.of(
                    "schemas.enable", String.valueOf(c.schemasEnable()),
                    "decimal.format", c.decimalFormat(),
                    "replace.null.with.default", String.valueOf(c.replaceNullWithDefault())), c.isKey());
            return converter.fromConnectData("golden", c.schema(), c.value());
        } catch (RuntimeException e) {
            throw new IllegalStateException("case " + c.name() + " failed", e);
        }
    }

    // ---- case builders --------------------------------------------------------------------

    private void add(String name, Schema schema, Object value) {
        cases.add(new Case(name, schema, value, true, "BASE64", false, true));
    }

    private void addAll(String name, Schema schema, Object value) {
        // Logical decimals differ per format; everything else is written once per format anyway
        // so a format-specific bug cannot hide.
        cases.add(new Case(name + "_base64", schema, value, true, "BASE64", false, true));
        cases.add(new Case(name + "_numeric", schema, value, true, "NUMERIC", false, true));
    }

    private void primitives() {
        add("int8_min", Schema.INT8_SCHEMA, Byte.MIN_VALUE);
        add("int8_max", Schema.INT8_SCHEMA, Byte.MAX_VALUE);
        add("int16_min", Schema.INT16_SCHEMA, Short.MIN_VALUE);
        add("int16_max", Schema.INT16_SCHEMA, Short.MAX_VALUE);
        add("int32_zero", Schema.INT32_SCHEMA, 0);
        add("int32_min", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
        add("int32_max", Schema.INT32_SCHEMA, Integer.MAX_VALUE);
        add("int64_min", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        add("int64_max", Schema.INT64_SCHEMA, Long.MAX_VALUE);
        add("int64_minus_one", Schema.INT64_SCHEMA, -1L);
        add("boolean_true", Schema.BOOLEAN_SCHEMA, true);
        add("boolean_false", Schema.OPTIONAL_BOOLEAN_SCHEMA, false);
        add("bytes_empty", Schema.BYTES_SCHEMA, new byte[0]);
        add("bytes_binary", Schema.BYTES_SCHEMA, new byte[] {0, 1, 2, 3, (byte) 0xfe, (byte) 0xff});
        add("bytes_text", Schema.OPTIONAL_BYTES_SCHEMA,
                "hello bytes, longer than one block".getBytes(StandardCharsets.UTF_8));
        add("optional_int32_null", Schema.OPTIONAL_INT32_SCHEMA, null);
        add("optional_string_null", Schema.OPTIONAL_STRING_SCHEMA, null);
        add("null_schema_null_value", null, null);
        add("named_versioned_doc_parameters", SchemaBuilder.string().name("com.example.Code").version(3)
                .doc("A \"code\" with\nnewline").parameter("length", "8").parameter("charset", "ascii").build(),
                "ABCD1234");
        add("empty_parameters", SchemaBuilder.int32().parameters(Map.of()).build(), 5);
        cases.add(new Case("key_int64", Schema.INT64_SCHEMA, 123456789L, true, "BASE64", true, true));
        cases.add(new Case("key_string", Schema.STRING_SCHEMA, "user-42", true, "BASE64", true, true));
    }

    // Includes values whose JDK 17 digits are not the shortest (1e23, Float.MIN_NORMAL, large
    // floats): Strait prints what JDK 17 prints.
    private void floats() {
        float[] fs = {0f, -0f, 1f, 1.5f, 0.1f, 3.1415927f, -123.456f, 1e10f, 1e-5f, 1e7f, 9999999f, 0.001f,
            1e-4f, 16777216f, Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL, 123.456e-20f, 6.4562299E10f,
            -7.4115332E25f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < fs.length; i++) {
            add("float32_" + i, Schema.FLOAT32_SCHEMA, fs[i]);
        }
        double[] ds = {0d, -0d, 1d, 0.1, 0.1 + 0.2, 1e10, 1e-10, 123456789.123, -2.5, 1e7, 9999999.999, 0.001,
            1e-3 / 3, 1e21, 1e22, 1e23, 1e-23, 5.7223519193314771E17, Math.PI, Math.E, 9007199254740993d, 4.35,
            100d, 1234567d, 12345678d, 2e-3, 5e-324, Double.MAX_VALUE, Double.MIN_NORMAL, 1.0E-7, 123e-20,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < ds.length; i++) {
            add("float64_" + i, Schema.FLOAT64_SCHEMA, ds[i]);
        }
    }

    private void strings() {
        add("string_empty", Schema.STRING_SCHEMA, "");
        add("string_ascii", Schema.STRING_SCHEMA, "hello");
        add("string_unicode", Schema.STRING_SCHEMA, "h\u00e9llo w\u00f6rld \u2713 \uD83D\uDE00 \u4e2d\u6587");
        add("string_escapes", Schema.STRING_SCHEMA, "quote\" backslash\\ slash/ tab\t nl\n cr\r bs\b ff\f");
        add("string_control", Schema.STRING_SCHEMA, "\u0000\u0001\u001f\u007f\u0080\u00a0");
        add("string_separators", Schema.STRING_SCHEMA, "\u2028\u2029</script>");
    }

    private void containers() {
        add("array_int32", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), List.of(1, 2, 3));
        add("array_empty", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), List.of());
        add("array_optional_strings", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(),
                Arrays.asList("a", null, "c"));
        add("array_of_arrays", SchemaBuilder.array(SchemaBuilder.array(Schema.INT64_SCHEMA).build()).build(),
                List.of(List.of(1L, 2L), List.of(), List.of(3L)));
        add("array_float64", SchemaBuilder.array(Schema.FLOAT64_SCHEMA).optional().build(),
                List.of(1.5, Double.NaN, -0.0));
        Schema point = point();
        add("array_of_structs", SchemaBuilder.array(point).build(),
                List.of(point(1, 2), point(-3, 4)));

        add("map_string_int32", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(),
                ordered("one", 1, "two", 2));
        add("map_int32_string", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(),
                ordered(1, "a", 2, "b"));
        add("map_empty", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build(), Map.of());
        add("map_string_optional_struct",
                SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.struct().name("com.example.Point")
                        .field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).optional().build()).build(),
                ordered("p", pointWith(true, 5, 6), "q", null));
        add("map_int64_array", SchemaBuilder.map(Schema.INT64_SCHEMA, SchemaBuilder.array(Schema.STRING_SCHEMA).build())
                .build(), ordered(10L, List.of("x"), -20L, List.of()));
        add("map_string_bytes", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.BYTES_SCHEMA).build(),
                ordered("k", new byte[] {9, 8, 7}));
        add("map_struct_keys", SchemaBuilder.map(point, Schema.BOOLEAN_SCHEMA).build(), ordered(point(0, 0), true));
    }

    private void structs() {
        Schema inner = SchemaBuilder.struct().name("com.example.Inner")
                .field("x", Schema.INT32_SCHEMA).field("y", Schema.OPTIONAL_STRING_SCHEMA).optional().build();
        Schema all = SchemaBuilder.struct().name("com.example.All").version(2).doc("every Connect type")
                .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA)
                .field("i32", Schema.INT32_SCHEMA).field("i64", Schema.INT64_SCHEMA)
                .field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA)
                .field("bool", Schema.BOOLEAN_SCHEMA).field("str", Schema.STRING_SCHEMA)
                .field("bytes", Schema.BYTES_SCHEMA)
                .field("arr", SchemaBuilder.array(Schema.INT32_SCHEMA).build())
                .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
                .field("imap", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).optional().build())
                .field("inner", inner)
                .field("dec", Decimal.schema(2)).field("date", Date.SCHEMA)
                .field("time", Time.SCHEMA).field("ts", Timestamp.SCHEMA)
                .build();
        Struct value = new Struct(all)
                .put("i8", (byte) -8).put("i16", (short) 1600).put("i32", 320000).put("i64", 6400000000L)
                .put("f32", 3.25f).put("f64", -0.125).put("bool", true).put("str", "text")
                .put("bytes", new byte[] {1, 2, 3}).put("arr", List.of(7, 8))
                .put("map", ordered("a", 1L)).put("imap", ordered(3, "c"))
                .put("inner", new Struct(inner).put("x", 1).put("y", "why"))
                .put("dec", new BigDecimal("-12.34")).put("date", new java.util.Date(19723L * 86_400_000L))
                .put("time", new java.util.Date(45_296_789L)).put("ts", new java.util.Date(1_700_000_000_123L));
        addAll("struct_all_types", all, value);
        Struct nulls = new Struct(all)
                .put("i8", (byte) 0).put("i16", (short) 0).put("i32", 0).put("i64", 0L)
                .put("f32", 0f).put("f64", 0d).put("bool", false).put("str", "")
                .put("bytes", new byte[0]).put("arr", List.of())
                .put("map", Map.of()).put("dec", BigDecimal.ZERO.setScale(2))
                .put("date", new java.util.Date(0)).put("time", new java.util.Date(0)).put("ts", new java.util.Date(0));
        add("struct_optional_nulls", all, nulls);

        Schema address = SchemaBuilder.struct().name("com.example.Address").optional()
                .field("street", Schema.STRING_SCHEMA).field("zip", Schema.OPTIONAL_STRING_SCHEMA).build();
        Schema person = SchemaBuilder.struct().name("com.example.Person")
                .field("name", SchemaBuilder.string().doc("full name").build())
                .field("age", Schema.OPTIONAL_INT32_SCHEMA)
                .field("address", address)
                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
                .build();
        add("struct_nested", person, new Struct(person).put("name", "Ada").put("age", 36)
                .put("address", new Struct(address).put("street", "1 Main St").put("zip", null))
                .put("tags", List.of("math", "engines")));
        add("struct_nested_null_child", person, new Struct(person).put("name", "Bob"));
        add("struct_optional_top_null",
                SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).optional().build(), null);
        cases.add(new Case("key_struct", point(), point(1, 1), true, "BASE64", true, true));
    }

    private void defaults() {
        // Struct-valued defaults are left out: Connect cannot build them (the default's schema would
        // have to equal the schema being built).
        Schema inner = SchemaBuilder.struct().field("k", Schema.STRING_SCHEMA).optional().build();
        Schema schema = SchemaBuilder.struct().name("com.example.Defaults")
                .field("a", SchemaBuilder.int32().defaultValue(42).build())
                .field("b", SchemaBuilder.string().optional().defaultValue("dflt").doc("b doc").build())
                .field("c", SchemaBuilder.float64().optional().defaultValue(1.5).build())
                .field("d", Decimal.builder(2).optional().defaultValue(new BigDecimal("1.23")).build())
                .field("e", SchemaBuilder.array(Schema.STRING_SCHEMA).optional()
                        .defaultValue(List.of("x", "y")).build())
                .field("f", Date.builder().optional().defaultValue(new java.util.Date(3 * 86_400_000L)).build())
                .field("g", SchemaBuilder.bytes().optional().defaultValue(new byte[] {1, 2}).build())
                .field("h", SchemaBuilder.bool().optional().defaultValue(true).build())
                .field("i", inner)
                .build();
        Struct unset = new Struct(schema);
        addAll("defaults_unset", schema, unset);
        Struct set = new Struct(schema).put("a", 7).put("b", "set").put("c", 2.5)
                .put("d", new BigDecimal("-9.99")).put("e", List.of()).put("f", new java.util.Date(0))
                .put("g", new byte[0]).put("h", false);
        add("defaults_set", schema, set);
        Struct nullsKept = new Struct(schema).put("a", 7);
        cases.add(new Case("defaults_no_replace", schema, nullsKept, true, "BASE64", false, false));
        cases.add(new Case("defaults_no_replace_numeric", schema, nullsKept, true, "NUMERIC", false, false));

        Schema nested = SchemaBuilder.struct().name("com.example.Nested")
                .field("p", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).optional()
                        .defaultValue(ordered("z", 26)).build())
                .field("n", SchemaBuilder.int64().defaultValue(-1L).build()).build();
        add("defaults_map_valued", nested, new Struct(nested));

        Schema topDefault = SchemaBuilder.int32().optional().defaultValue(7).build();
        add("top_default_null_replaced", topDefault, null);
        cases.add(new Case("top_default_null_kept", topDefault, null, true, "BASE64", false, false));
        add("top_default_value", topDefault, 3);
    }

    private void logicalTypes() {
        decimal("decimal_s2", 2, "123.45", "-123.45", "0.00", "0.01", "-0.01");
        decimal("decimal_s0", 0, "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999");
        decimal("decimal_s10", 10, "0.0000000001", "1.2345678901", "-0.0000001000");
        decimal("decimal_s18", 18, "123456789.123456789012345678");
        decimal("decimal_s3", 3, "0.128", "-0.128", "-0.129", "0.255", "32.767", "-32.768");
        decimal("decimal_neg_scale", -2, "5E+2", "-1.2E+3");
        decimal("decimal_s30", 30, "0.000000000000000000000000000001");
        add("decimal_named_optional_null", Decimal.builder(4).optional().build(), null);

        addAll("date_epoch", Date.SCHEMA, new java.util.Date(0));
        addAll("date_2024", Date.SCHEMA, new java.util.Date(19723L * 86_400_000L));
        addAll("date_before_epoch", Date.SCHEMA, new java.util.Date(-86_400_000L));
        addAll("time_midnight", Time.SCHEMA, new java.util.Date(0));
        addAll("time_afternoon", Time.SCHEMA, new java.util.Date(45_296_789L));
        addAll("time_last_ms", Time.SCHEMA, new java.util.Date(86_399_999L));
        addAll("timestamp_epoch", Timestamp.SCHEMA, new java.util.Date(0));
        addAll("timestamp_2023", Timestamp.SCHEMA, new java.util.Date(1_700_000_000_123L));
        addAll("timestamp_negative", Timestamp.SCHEMA, new java.util.Date(-1L));
        add("timestamp_optional_null", Timestamp.builder().optional().build(), null);
    }

    private void decimal(String name, int scale, String... values) {
        Schema schema = Decimal.schema(scale);
        for (int i = 0; i < values.length; i++) {
            BigDecimal v = new BigDecimal(values[i]).setScale(scale);
            addAll(name + "_" + i, schema, v);
        }
    }

    private void schemaless() {
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("id", 1L);
        obj.put("name", "x\ty");
        obj.put("score", 2.5);
        obj.put("ok", true);
        obj.put("none", null);
        obj.put("tags", List.of("a", "b"));
        obj.put("nested", ordered("k", "v", "n", 3L));
        schemaless("schemaless_object", null, obj);
        schemaless("schemaless_mixed_array", null, Arrays.asList(1L, "two", 3.0, null, List.of()));
        schemaless("schemaless_string", null, "plain");
        schemaless("schemaless_long", null, 42L);
        schemaless("schemaless_double", null, 0.1);
        schemaless("schemaless_boolean", null, false);
        schemaless("schemaless_null", null, null);
        schemaless("schemaless_empty_object", null, Map.of());
        Schema s = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.OPTIONAL_STRING_SCHEMA)
                .field("bin", Schema.BYTES_SCHEMA).field("d", Date.SCHEMA)
                .field("m", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build()).build();
        schemaless("schemaless_with_schema", s, new Struct(s).put("a", 1).put("bin", new byte[] {1})
                .put("d", new java.util.Date(86_400_000L)).put("m", ordered(1, "one")));
        schemaless("schemaless_float32", Schema.FLOAT32_SCHEMA, 3.1415927f);
        cases.add(new Case("schemaless_decimal_numeric", Decimal.schema(2), new BigDecimal("1.25"), false,
                "NUMERIC", false, true));
    }

    private void schemaless(String name, Schema schema, Object value) {
        cases.add(new Case(name, schema, value, false, "BASE64", false, true));
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static Schema point() {
        return SchemaBuilder.struct().name("com.example.Point")
                .field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).build();
    }

    private static Struct point(int x, int y) {
        return pointWith(false, x, y);
    }

    private static Struct pointWith(boolean optional, int x, int y) {
        SchemaBuilder b = SchemaBuilder.struct().name("com.example.Point")
                .field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA);
        return new Struct(optional ? b.optional().build() : b.build()).put("x", x).put("y", y);
    }

    private static <K, V> Map<K, V> ordered(Object... kv) {
        Map<K, V> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked") K k = (K) kv[i];
            @SuppressWarnings("unchecked") V v = (V) kv[i + 1];
            m.put(k, v);
        }
        return m;
    }
}
