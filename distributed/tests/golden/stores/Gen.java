// Golden records of the status and offsets topics from the real Kafka 4.1.2 classes
// (KafkaStatusBackingStore, KafkaOffsetBackingStore, JsonConverter, OffsetUtils), and Java's
// reading of records Strait wrote.
//
//   java -cp '<kafka>/libs/*' Gen.java gen <outdir>
//       writes java_records.hex (records Java writes, plus malformed ones), java_state.jsonl
//       (the state Java's stores replay them into) and validate.txt (OffsetUtils messages).
//   java -cp '<kafka>/libs/*' Gen.java read <records.hex> <state.jsonl>
//       replays records (Strait's) into Java's stores and writes the state they give.
//
// Record lines: `<S|O> <key hex|-> <value hex|->` (S = status topic, O = offsets topic,
// `-` = null). State lines are JSON objects, one per connector/task/topic status, offset entry
// and connector partition set, sorted.
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.lang.reflect.*;
import java.util.*;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.AbstractStatus;
import org.apache.kafka.connect.runtime.AbstractStatus.State;
import org.apache.kafka.connect.runtime.ConnectorStatus;
import org.apache.kafka.connect.runtime.TaskStatus;
import org.apache.kafka.connect.runtime.TopicStatus;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.apache.kafka.connect.storage.KafkaStatusBackingStore;
import org.apache.kafka.connect.storage.OffsetUtils;
import org.apache.kafka.connect.util.Callback;
import org.apache.kafka.connect.util.ConnectorTaskId;
import org.apache.kafka.connect.util.KafkaBasedLog;

public class Gen {
    static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    static JsonConverter converter(boolean isKey) {
        JsonConverter c = new JsonConverter();
        c.configure(Collections.singletonMap("schemas.enable", "false"), isKey);
        return c;
    }

    static KafkaStatusBackingStore statusStore() throws Exception {
        Constructor<KafkaStatusBackingStore> ctor = KafkaStatusBackingStore.class.getDeclaredConstructor(
                Time.class, Converter.class, String.class, Supplier.class, KafkaBasedLog.class);
        ctor.setAccessible(true);
        return ctor.newInstance(Time.SYSTEM, converter(false), "status-topic", null, null);
    }

    static KafkaOffsetBackingStore offsetStore() {
        return new KafkaOffsetBackingStore(() -> null, () -> "golden-", converter(true));
    }

    static String hex(byte[] b) {
        if (b == null) return "-";
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        if (s.equals("-")) return null;
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- generation ------------------------------------------------------------------------

    static final List<String> records = new ArrayList<>();

    static void status(String key, byte[] value) {
        records.add("S " + hex(utf8(key)) + " " + hex(value));
    }

    static void offset(byte[] key, byte[] value) {
        records.add("O " + hex(key) + " " + hex(value));
    }

    static byte[] serialize(KafkaStatusBackingStore store, AbstractStatus<?> s) throws Exception {
        Method m = KafkaStatusBackingStore.class.getDeclaredMethod("serialize", AbstractStatus.class);
        m.setAccessible(true);
        return (byte[]) m.invoke(store, s);
    }

    static byte[] serializeTopic(KafkaStatusBackingStore store, TopicStatus s) throws Exception {
        Method m = KafkaStatusBackingStore.class.getDeclaredMethod("serializeTopicStatus", TopicStatus.class);
        m.setAccessible(true);
        return (byte[]) m.invoke(store, s);
    }

    static Map<String, Object> hashMap(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static void gen(Path out) throws Exception {
        KafkaStatusBackingStore st = statusStore();
        String weird = "tr\"a\\ce/\n\t\u0001\u001f\u007f h\u00e9 \u2713 \uD83D\uDE00";
        status("status-connector-conn-a", serialize(st, new ConnectorStatus("conn-a", State.RUNNING, "10.0.0.5:8083", 7, "4.1.2")));
        status("status-connector-conn-b", serialize(st, new ConnectorStatus("conn-b", State.FAILED, weird, "w:1", 3, null)));
        status("status-task-conn-a-0", serialize(st, new TaskStatus(new ConnectorTaskId("conn-a", 0), State.RUNNING, "10.0.0.5:8083", 7, null, "4.1.2")));
        status("status-task-conn-a-1", serialize(st, new TaskStatus(new ConnectorTaskId("conn-a", 1), State.PAUSED, "w:2", 7)));
        status("status-task-conn-a-2", serialize(st, new TaskStatus(new ConnectorTaskId("conn-a", 2), State.RESTARTING, "w:2", 7)));
        status("status-task-conn-b-10", serialize(st, new TaskStatus(new ConnectorTaskId("conn-b", 10), State.FAILED, "w:1", -2, weird, null)));
        // A stale UNASSIGNED (same generation) after RUNNING is ignored on read.
        status("status-task-conn-a-0", serialize(st, new TaskStatus(new ConnectorTaskId("conn-a", 0), State.UNASSIGNED, "w:9", 7)));
        status("status-connector-stopped", serialize(st, new ConnectorStatus("stopped", State.STOPPED, "w:1", 0)));
        status("status-connector-gone", serialize(st, new ConnectorStatus("gone", State.RUNNING, "w:1", 1)));
        status("status-task-gone-0", serialize(st, new TaskStatus(new ConnectorTaskId("gone", 0), State.RUNNING, "w:1", 1)));
        status("status-connector-gone", null);
        status("status-task-conn-a-2", null);
        status("status-topic-t1:connector-conn-a", serializeTopic(st, new TopicStatus("t1", "conn-a", 0, 1700000000000L)));
        status("status-topic-t.2:connector-conn-a", serializeTopic(st, new TopicStatus("t.2", "conn-a", 1, 1700000000001L)));
        status("status-topic-t3:connector-conn-b", serializeTopic(st, new TopicStatus("t3", "conn-b", 0, 5L)));
        status("status-topic-t3:connector-conn-b", null);
        // Malformed records, ignored by Java.
        status("status-connector-", serialize(st, new ConnectorStatus("x", State.RUNNING, "w", 1)));
        status("status-task-x", serialize(st, new ConnectorStatus("x", State.RUNNING, "w", 1)));
        status("status-task-x-y", serialize(st, new ConnectorStatus("x", State.RUNNING, "w", 1)));
        status("status-topic-t9", serializeTopic(st, new TopicStatus("t9", "x", 0, 1L)));
        status("bogus-key", serialize(st, new ConnectorStatus("x", State.RUNNING, "w", 1)));
        status("status-connector-bad1", utf8("not json"));
        status("status-connector-bad2", utf8("{\"state\":\"running\",\"trace\":null,\"worker_id\":\"w\",\"generation\":1}"));
        status("status-connector-bad3", utf8("{\"state\":\"RUNNING\",\"trace\":null,\"worker_id\":\"w\",\"generation\":1.5}"));
        status("status-task-bad-0", utf8("[1,2]"));
        status("status-topic-t8:connector-bad", utf8("{\"topic\":5}"));
        // Hand-written but valid: missing optional fields, wrapping generation, odd task keys.
        status("status-connector-sparse", utf8("{\"state\":\"PAUSED\",\"worker_id\":\"w\",\"generation\":4294967297}"));
        status("status-task-a-3--", serialize(st, new TaskStatus(new ConnectorTaskId("a", 3), State.RUNNING, "w", 1)));
        status("status-task-my-conn-with-dashes-04", serialize(st, new TaskStatus(new ConnectorTaskId("my-conn-with-dashes", 4), State.RUNNING, "w", 1)));

        JsonConverter key = converter(true);
        JsonConverter value = converter(false);
        Object[][] offsets = {
            {"local-file-source", hashMap("filename", "test.txt"), hashMap("position", 30L)},
            {"c1", hashMap("n", 5), hashMap("i", 42, "l", -9007199254740993L)},
            {"c1", hashMap("s", weird), hashMap("d", 1e10, "e", 0.1, "f", 1.0E-7, "g", 123.0, "h", -0.0)},
            {"c1", hashMap("b", true), hashMap("z", null, "t", false)},
            {"c2", hashMap("topic", "orders", "partition", 3, "file", "a.csv", "zeta", "z", "alpha", 1L), hashMap("pos", 1L)},
            {"c2", hashMap("kafka_topic", "x", "kafka_partition", 0), hashMap("kafka_offset", 99L)},
            {"c2", hashMap("gone", "yes"), hashMap("pos", 1L)},
            {"c2", hashMap("gone", "yes"), null},
            {"c\"q\u00e9\uD83D\uDE00", hashMap("k", "v"), hashMap("p", 1L)},
        };
        for (Object[] o : offsets) {
            byte[] k = key.fromConnectData("offsets", null, Arrays.asList(o[0], o[1]));
            byte[] v = o[2] == null ? null : value.fromConnectData("offsets", null, o[2]);
            offset(k, v);
        }
        // Keys Java ignores (but still keeps in `data` when the value is non-null).
        offset(utf8("not json"), utf8("{}"));
        offset(utf8("{\"a\":1}"), utf8("{}"));
        offset(utf8("[\"c3\"]"), utf8("{}"));
        offset(utf8("[1,{}]"), utf8("{}"));
        offset(utf8("[\"c3\",5]"), utf8("{}"));
        offset(utf8("[\"c3\",null]"), utf8("{}"));
        // One logical key in two byte orders: Java keeps both, the index holds one partition.
        offset(utf8("[\"c4\",{\"b\":2,\"a\":\"x\"}]"), utf8("{\"pos\":7}"));
        offset(utf8("[\"c4\",{\"a\":\"x\",\"b\":2}]"), utf8("{\"pos\":9}"));

        Files.createDirectories(out);
        Files.write(out.resolve("java_records.hex"), records);
        Files.write(out.resolve("java_state.jsonl"), replay(records));

        List<String> messages = new ArrayList<>();
        Object[] bad = {
            hashMap("ok", 1L, "bad", Arrays.asList(1L)),
            hashMap("m", hashMap("a", 1L)),
            Arrays.asList(1L),
        };
        for (Object b : bad) {
            try {
                OffsetUtils.validateFormat(b);
                messages.add("ok");
            } catch (Exception e) {
                messages.add(e.getMessage());
            }
        }
        Files.write(out.resolve("validate.txt"), messages);
    }

    // ---- replay and dump -------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static List<String> replay(List<String> lines) throws Exception {
        KafkaStatusBackingStore st = statusStore();
        KafkaOffsetBackingStore os = offsetStore();
        Method read = KafkaStatusBackingStore.class.getDeclaredMethod("read", ConsumerRecord.class);
        read.setAccessible(true);
        Field cb = KafkaOffsetBackingStore.class.getDeclaredField("consumedCallback");
        cb.setAccessible(true);
        Callback<ConsumerRecord<byte[], byte[]>> consumed = (Callback<ConsumerRecord<byte[], byte[]>>) cb.get(os);
        long n = 0;
        for (String line : lines) {
            String[] p = line.split(" ");
            byte[] k = unhex(p[1]);
            byte[] v = unhex(p[2]);
            if (p[0].equals("S")) {
                String key = k == null ? null : new String(k, StandardCharsets.UTF_8);
                read.invoke(st, new ConsumerRecord<String, byte[]>("status", 0, n++, key, v));
            } else {
                consumed.onCompletion(null, new ConsumerRecord<byte[], byte[]>("offsets", 0, n++, k, v));
            }
        }

        List<String> out = new ArrayList<>();
        Field tf = KafkaStatusBackingStore.class.getDeclaredField("tasks");
        tf.setAccessible(true);
        Object table = tf.get(st);
        Field inner = table.getClass().getDeclaredField("table");
        inner.setAccessible(true);
        Map<String, Map<Integer, Object>> rows = (Map<String, Map<Integer, Object>>) inner.get(table);
        for (String c : st.connectors()) {
            ConnectorStatus s = st.get(c);
            if (s != null) out.add(statusLine("connector", c, s));
        }
        out.add(JSON.writeValueAsString(Collections.singletonMap("connectors", new TreeSet<>(st.connectors()))));
        for (String c : rows.keySet()) {
            for (TaskStatus s : st.getAll(c)) {
                out.add(statusLine("task", Arrays.asList(s.id().connector(), s.id().task()), s));
            }
        }
        Field topf = KafkaStatusBackingStore.class.getDeclaredField("topics");
        topf.setAccessible(true);
        Map<String, Map<String, TopicStatus>> topics = (Map<String, Map<String, TopicStatus>>) topf.get(st);
        for (Map.Entry<String, Map<String, TopicStatus>> e : topics.entrySet()) {
            for (Map.Entry<String, TopicStatus> t : e.getValue().entrySet()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("topic", Arrays.asList(e.getKey(), t.getKey()));
                m.put("name", t.getValue().topic());
                m.put("connector", t.getValue().connector());
                m.put("task", t.getValue().task());
                m.put("discoverTimestamp", t.getValue().discoverTimestamp());
                out.add(JSON.writeValueAsString(m));
            }
        }

        Field df = KafkaOffsetBackingStore.class.getDeclaredField("data");
        df.setAccessible(true);
        Map<ByteBuffer, ByteBuffer> data = (Map<ByteBuffer, ByteBuffer>) df.get(os);
        for (Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("offset_key", e.getKey() == null ? null : hex(e.getKey().array()));
            m.put("offset_value", hex(e.getValue().array()));
            out.add(JSON.writeValueAsString(m));
        }
        Field pf = KafkaOffsetBackingStore.class.getDeclaredField("connectorPartitions");
        pf.setAccessible(true);
        Map<String, Set<Map<String, Object>>> parts = (Map<String, Set<Map<String, Object>>>) pf.get(os);
        for (String c : parts.keySet()) {
            List<String> ps = new ArrayList<>();
            for (Map<String, Object> p : os.connectorPartitions(c)) ps.add(JSON.writeValueAsString(p));
            Collections.sort(ps);
            if (ps.isEmpty()) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("partitions_of", c);
            m.put("partitions", ps);
            out.add(JSON.writeValueAsString(m));
        }
        Collections.sort(out);
        return out;
    }

    static String statusLine(String kind, Object id, AbstractStatus<?> s) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(kind, id);
        m.put("state", s.state().name());
        m.put("trace", s.trace());
        m.put("worker_id", s.workerId());
        m.put("generation", s.generation());
        m.put("version", s.version());
        return JSON.writeValueAsString(m);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("gen")) {
            gen(Paths.get(args[1]));
        } else if (args.length == 3 && args[0].equals("read")) {
            Files.write(Paths.get(args[2]), replay(Files.readAllLines(Paths.get(args[1]))));
        } else {
            System.err.println("usage: Gen gen <outdir> | Gen read <records.hex> <state.jsonl>");
            System.exit(2);
        }
        System.exit(0);
    }
}
