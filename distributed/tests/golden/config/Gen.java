// Golden records and replay results for Strait's config-topic store (distributed/src/config_store.rs),
// produced by Kafka's own KafkaConfigBackingStore (connect-runtime 4.1.2).
//
// Rerun (from the repository root):
//   java -cp '/work/main/.test-services/kafka/libs/*' distributed/tests/golden/config/Gen.java distributed/tests/golden/config
//
// 1. Writes records.txt: every record kind, encoded with the store's public schemas and a JsonConverter
//    with schemas.enable=false (as the store's converter is configured), one record a line:
//    `<phase> <key hex> <value hex or ->`. Phase 0 records are read before the store finished starting,
//    phase 1 records after.
// 2. Replays them through the real store's private ConsumeCallback (reflection) and writes
//    expected.json: the ClusterConfigState fields and the UpdateListener calls of phase 1.
// 3. If rust_records.txt exists (written by the Rust test `rust_records_file_is_current`), replays
//    it the same way into rust_expected.json: Java reading Strait's bytes.
import java.io.*;
import java.lang.reflect.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.storage.*;
import org.apache.kafka.connect.runtime.SessionKey;
import org.apache.kafka.connect.runtime.RestartRequest;

import static org.apache.kafka.connect.storage.KafkaConfigBackingStore.*;

public class Gen {
    static JsonConverter converter;
    static List<Object[]> records = new ArrayList<>();

    static void add(int phase, String key, Schema schema, Struct value) {
        byte[] bytes = value == null ? null : converter.fromConnectData("cfg", schema, value);
        records.add(new Object[]{phase, key, bytes});
    }
    static void raw(int phase, String key, String json) {
        records.add(new Object[]{phase, key, json == null ? null : json.getBytes(StandardCharsets.UTF_8)});
    }
    static Struct props(Map<String, String> m) {
        Struct s = new Struct(CONNECTOR_CONFIGURATION_V0);
        s.put("properties", new TreeMap<>(m));
        return s;
    }
    static void connector(int phase, String name, Map<String, String> m) {
        add(phase, "connector-" + name, CONNECTOR_CONFIGURATION_V0, props(m));
    }
    static void task(int phase, String name, int n, Map<String, String> m) {
        add(phase, "task-" + name + "-" + n, TASK_CONFIGURATION_V0, props(m));
    }
    static void commit(int phase, String name, int n) {
        Struct s = new Struct(CONNECTOR_TASKS_COMMIT_V0);
        s.put("tasks", n);
        add(phase, "commit-" + name, CONNECTOR_TASKS_COMMIT_V0, s);
    }
    static void target(int phase, String name, String state) {
        if (state == null) { add(phase, "target-state-" + name, null, null); return; }
        Struct s = new Struct(TARGET_STATE_V1);
        s.put("state", state.equals("STOPPED") ? "PAUSED" : state);
        s.put("state.v2", state);
        add(phase, "target-state-" + name, TARGET_STATE_V1, s);
    }
    static void targetV0(int phase, String name, String state) {
        Struct s = new Struct(TARGET_STATE_V0);
        s.put("state", state);
        add(phase, "target-state-" + name, TARGET_STATE_V0, s);
    }
    static void fencing(int phase, String name, int n) {
        Struct s = new Struct(TASK_COUNT_RECORD_V0);
        s.put("task-count", n);
        add(phase, "tasks-fencing-" + name, TASK_COUNT_RECORD_V0, s);
    }
    static void sessionKey(int phase, byte[] key, String alg, long ts) {
        Struct s = new Struct(SESSION_KEY_V0);
        s.put("key", Base64.getEncoder().encodeToString(key));
        s.put("algorithm", alg);
        s.put("creation-timestamp", ts);
        add(phase, "session-key", SESSION_KEY_V0, s);
    }
    static void restart(int phase, String name, boolean includeTasks, boolean onlyFailed) {
        Struct s = new Struct(RESTART_REQUEST_V0);
        s.put(INCLUDE_TASKS_FIELD_NAME, includeTasks);
        s.put(ONLY_FAILED_FIELD_NAME, onlyFailed);
        add(phase, "restart-connector-" + name, RESTART_REQUEST_V0, s);
    }
    static void logger(int phase, String ns, String level) {
        Struct s = new Struct(LOGGER_LEVEL_V0);
        s.put("level", level);
        add(phase, "logger-cluster-" + ns, LOGGER_LEVEL_V0, s);
    }
    static Map<String, String> m(String... kv) {
        Map<String, String> r = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) r.put(kv[i], kv[i + 1]);
        return r;
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        converter = new JsonConverter();
        converter.configure(Collections.singletonMap("schemas.enable", "false"), false);

        // Phase 0: the initial read.
        target(0, "a", "PAUSED");                      // create with an initial state: target state first
        connector(0, "a", m("connector.class", "FileStreamSink", "name", "a", "tasks.max", "2",
                "weird", "q\"b\\s/\u0001\u001f\u007f\t\n\r\b\f é 😀"));
        task(0, "a", 0, m("task.class", "T", "n", "0"));
        task(0, "a", 1, m("task.class", "T", "n", "1"));
        commit(0, "a", 2);                               // complete: generation 0
        connector(0, "b", m("name", "b"));
        task(0, "b", 0, m("n", "0"));
        commit(0, "b", 2);                               // task 1 missing: inconsistent
        commit(0, "gone", 1);                            // stale commit of a deleted connector
        connector(0, "c", m("name", "c"));               // no target state: STARTED
        target(0, "c", "STOPPED");
        connector(0, "d", m("name", "d"));
        targetV0(0, "d", "PAUSED");                      // the old single-field form
        restart(0, "a", true, true);                     // before start: not an event
        logger(0, "org.foo", "TRACE");                   // before start: not an event
        sessionKey(0, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, "HmacSHA256", 1700000000000L);
        fencing(0, "a", 2);
        connector(0, "my-conn-x", m("name", "my-conn-x"));
        task(0, "my-conn-x", 0, m("n", "0"));
        commit(0, "my-conn-x", 1);
        raw(0, "bogus-key", "{}");                       // unknown key: dropped, offset still moves
        raw(0, "connector-broken", "{not json");         // conversion error: dropped, offset unchanged
        raw(0, "task-x", "{\"properties\":{}}");          // unparsable task key
        // Phase 1: after the store started.
        target(1, "a", "STARTED");                       // event
        target(1, "a", "STARTED");                       // unchanged: no event
        connector(1, "a", m("connector.class", "FileStreamSink", "name", "a", "tasks.max", "1"));
        task(1, "a", 0, m("task.class", "T", "n", "0", "v", "2"));
        commit(1, "a", 1);                               // generation 1
        commit(1, "a", 0);                               // generation 2, no task ids
        restart(1, "a", true, false);
        logger(1, "org.foo", "DEBUG");
        add(1, "connector-c", null, null);               // delete c: config tombstone ...
        target(1, "c", null);                            // ... and target-state tombstone
        target(1, "d", null);                            // tombstone for a live connector: STARTED
        commit(1, "c", 0);                               // stale commit after delete
        sessionKey(1, new byte[]{(byte) 0xff, 0, 1}, "HmacSHA512", 1700000000123L);
        task(1, "b", 0, m("n", "0"));
        task(1, "b", 1, m("n", "1"));
        commit(1, "b", 2);                               // b consistent again, generation 0
        target(1, "e", "PAUSED");                        // no connector e: no event
        fencing(1, "b", 2);
        target(1, "a", "STOPPED");

        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("records.txt")))) {
            for (Object[] r : records) {
                w.println(r[0] + " " + hex(((String) r[1]).getBytes(StandardCharsets.UTF_8)) + " "
                        + (r[2] == null ? "-" : hex((byte[]) r[2])));
            }
        }
        Files.writeString(out.resolve("expected.json"), replay(records));

        Path rust = out.resolve("rust_records.txt");
        if (Files.exists(rust)) {
            List<Object[]> rs = new ArrayList<>();
            for (String line : Files.readAllLines(rust)) {
                if (line.isBlank()) continue;
                String[] p = line.split(" ");
                rs.add(new Object[]{Integer.parseInt(p[0]), new String(unhex(p[1]), StandardCharsets.UTF_8),
                        p[2].equals("-") ? null : unhex(p[2])});
            }
            Files.writeString(out.resolve("rust_expected.json"), replay(rs));
        }
    }

    static String replay(List<Object[]> recs) throws Exception {
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", "localhost:1");
        props.put("group.id", "g");
        props.put("config.storage.topic", "cfg");
        props.put("offset.storage.topic", "off");
        props.put("status.storage.topic", "st");
        props.put("key.converter", JsonConverter.class.getName());
        props.put("value.converter", JsonConverter.class.getName());
        DistributedConfig config = new DistributedConfig(props);
        Field cid = org.apache.kafka.connect.runtime.WorkerConfig.class.getDeclaredField("kafkaClusterId");
        cid.setAccessible(true);
        cid.set(config, "cluster"); // no broker lookup
        KafkaConfigBackingStore store = new KafkaConfigBackingStore(converter, config, null, () -> null, "connect-");
        List<Object> events = new ArrayList<>();
        ConfigBackingStore.UpdateListener listener = (ConfigBackingStore.UpdateListener) Proxy.newProxyInstance(
                Gen.class.getClassLoader(), new Class<?>[]{ConfigBackingStore.UpdateListener.class},
                (proxy, method, a) -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("event", method.getName());
                    switch (method.getName()) {
                        case "onTaskConfigUpdate": {
                            List<String> ids = new ArrayList<>();
                            for (Object id : (Collection<?>) a[0]) ids.add(id.toString());
                            Collections.sort(ids);
                            e.put("tasks", ids);
                            break;
                        }
                        case "onSessionKeyUpdate": {
                            SessionKey k = (SessionKey) a[0];
                            e.put("key", sessionKeyJson(k));
                            break;
                        }
                        case "onRestartRequest": {
                            RestartRequest r = (RestartRequest) a[0];
                            e.put("connector", r.connectorName());
                            e.put("include_tasks", r.includeTasks());
                            e.put("only_failed", r.onlyFailed());
                            break;
                        }
                        case "onLoggingLevelUpdate":
                            e.put("namespace", a[0]);
                            e.put("level", a[1]);
                            break;
                        default:
                            e.put("connector", a[0]);
                    }
                    events.add(e);
                    return null;
                });
        store.setUpdateListener(listener);
        Class<?> cbClass = Class.forName("org.apache.kafka.connect.storage.KafkaConfigBackingStore$ConsumeCallback");
        Constructor<?> ctor = cbClass.getDeclaredConstructor(KafkaConfigBackingStore.class);
        ctor.setAccessible(true);
        Object cb = ctor.newInstance(store);
        Method onCompletion = cbClass.getDeclaredMethod("onCompletion", Throwable.class, ConsumerRecord.class);
        onCompletion.setAccessible(true);
        Field started = KafkaConfigBackingStore.class.getDeclaredField("started");
        started.setAccessible(true);
        long offset = 0;
        for (Object[] r : recs) {
            if ((int) r[0] == 1) started.set(store, true);
            onCompletion.invoke(cb, null, new ConsumerRecord<>("cfg", 0, offset++, (String) r[1], (byte[]) r[2]));
        }

        ClusterConfigState s = store.snapshot();
        Map<String, Object> o = new TreeMap<>();
        o.put("offset", s.offset());
        o.put("session_key", s.sessionKey() == null ? null : sessionKeyJson(s.sessionKey()));
        o.put("connector_task_counts", new TreeMap<>((Map<?, ?>) get(s, "connectorTaskCounts")));
        Map<String, Object> configs = new TreeMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) get(s, "connectorConfigs")).entrySet())
            configs.put((String) e.getKey(), new TreeMap<>((Map<?, ?>) e.getValue()));
        o.put("connector_configs", configs);
        Map<String, String> states = new TreeMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) get(s, "connectorTargetStates")).entrySet())
            states.put((String) e.getKey(), e.getValue().toString());
        o.put("target_states", states);
        Map<String, Object> tasks = new TreeMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) get(s, "taskConfigs")).entrySet())
            tasks.put(e.getKey().toString(), new TreeMap<>((Map<?, ?>) e.getValue()));
        o.put("task_configs", tasks);
        o.put("task_count_records", new TreeMap<>((Map<?, ?>) get(s, "connectorTaskCountRecords")));
        o.put("task_config_generations", new TreeMap<>((Map<?, ?>) get(s, "connectorTaskConfigGenerations")));
        Map<String, Object> applied = new TreeMap<>();
        for (String c : ((Map<String, ?>) get(s, "appliedConnectorConfigs")).keySet())
            applied.put(c, new TreeMap<>(s.appliedConnectorConfig(c)));
        o.put("applied_connector_configs", applied);
        o.put("pending_fencing", new TreeSet<>((Set<?>) get(s, "connectorsPendingFencing")));
        o.put("inconsistent", new TreeSet<>(s.inconsistentConnectors()));
        o.put("events", events);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o) + "\n";
    }

    static Map<String, Object> sessionKeyJson(SessionKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", Base64.getEncoder().encodeToString(k.key().getEncoded()));
        m.put("algorithm", k.key().getAlgorithm());
        m.put("creation_timestamp", k.creationTimestamp());
        return m;
    }

    static Object get(Object o, String field) throws Exception {
        Field f = o.getClass().getDeclaredField(field);
        f.setAccessible(true);
        return f.get(o);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }
}
