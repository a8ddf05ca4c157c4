// Golden bytes for Strait's worker group protocol (distributed/src/protocol.rs), recorded with the
// real Kafka Connect 4.1.2 classes.
//
// Write mode (records java_bytes.txt, one "name<TAB>hex" line per case):
//   java -cp '/work/main/.test-services/kafka/libs/*' Gen.java write distributed/tests/golden/protocol
// Read mode (Java decodes the bytes Strait wrote and prints what it read, one "name<TAB>text" line
// per case; the input is a file of "kind<TAB>name<TAB>hex" lines, kind = metadata|assignment):
//   java -cp '/work/main/.test-services/kafka/libs/*' Gen.java read strait_bytes.txt java_reads.txt
//
// The Rust test `protocol::tests::golden_*` builds the same cases; keep both lists in step.

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class Gen {
    static final List<String> lines = new ArrayList<>();

    static String hex(ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) sb.append(String.format("%02x", d.get()));
        return sb.toString();
    }

    static void put(String name, ByteBuffer b) {
        lines.add(name + "\t" + hex(b));
    }

    static List<String> connectors(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(prefix + i);
        return out;
    }

    static List<ConnectorTaskId> tasks(String connector, int... ids) {
        List<ConnectorTaskId> out = new ArrayList<>();
        for (int id : ids) out.add(new ConnectorTaskId(connector, id));
        return out;
    }

    @SafeVarargs
    static <T> List<T> concat(List<T>... lists) {
        List<T> out = new ArrayList<>();
        for (List<T> l : lists) out.addAll(l);
        return out;
    }

    static ExtendedAssignment small(short version) {
        return new ExtendedAssignment(version, (short) 0, "worker-1-abc", "http://w1:8083/", 17L,
                Arrays.asList("sink", "source"),
                concat(tasks("source", 0, 1), tasks("sink", 0), tasks("other", 2)),
                Arrays.asList("gone"), tasks("gone", 0, 1), 0);
    }

    static ExtendedAssignment big(short version) {
        // 40 connectors: the HashSet in Assignment.asMap() has 64 buckets, so the order on the
        // wire is the hash-bucket order, not the list order.
        List<String> cs = connectors("connector-", 40);
        cs.add("Ünïcødé ☃ 🚀");
        return new ExtendedAssignment(version, (short) 0, "leader-Ω", "https://l:8443", Long.MAX_VALUE,
                cs,
                concat(tasks("connector-3", 5, 0, 2), tasks("orphan", 1), tasks("connector-0", 0), tasks("orphan", 0)),
                Arrays.asList("r2", "r1", "r2"),
                concat(tasks("r1", 3), tasks("r3", 0), tasks("r1", 1)),
                299_999);
    }

    static void write(Path dir) throws Exception {
        ConnectProtocol.WorkerState v0 = new ConnectProtocol.WorkerState("http://w1:8083/", 12L);
        put("metadata_v0", ConnectProtocol.serializeMetadata(v0));
        put("metadata_v1_no_allocation",
                IncrementalCooperativeConnectProtocol.serializeMetadata(new ExtendedWorkerState("http://w2:8083/", -1L, null), false));
        put("metadata_v1_small", IncrementalCooperativeConnectProtocol.serializeMetadata(
                new ExtendedWorkerState("http://w3:8083/", 17L, small((short) 1)), false));
        put("metadata_v2_big", IncrementalCooperativeConnectProtocol.serializeMetadata(
                new ExtendedWorkerState("http://w4:8083/", 1234567890123L, big((short) 2)), true));

        put("assignment_v0_big", ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
                (short) 0, "leader-Ω", "https://l:8443", Long.MAX_VALUE, big((short) 0).connectors(), big((short) 0).tasks())));
        put("assignment_v0_mismatch", ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
                (short) 1, "leader", "http://l:8083/", 3L, Collections.emptyList(), Collections.emptyList())));
        put("assignment_v1_small", IncrementalCooperativeConnectProtocol.serializeAssignment(small((short) 1), false));
        put("assignment_v2_small", IncrementalCooperativeConnectProtocol.serializeAssignment(small((short) 2), true));
        put("assignment_v2_big", IncrementalCooperativeConnectProtocol.serializeAssignment(big((short) 2), true));
        put("assignment_v2_mismatch", IncrementalCooperativeConnectProtocol.serializeAssignment(
                new ExtendedAssignment((short) 2, (short) 1, "leader", "http://l:8083/", 3L,
                        Collections.emptyList(), Collections.emptyList(), Collections.emptyList(), Collections.emptyList(), 0), true));

        // The JoinGroup protocol list of a `sessioned` worker, in preference order.
        ExtendedWorkerState jg = new ExtendedWorkerState("http://w5:8083/", 9L, small((short) 2));
        for (JoinGroupRequestProtocol p : IncrementalCooperativeConnectProtocol.metadataRequest(jg, true)) {
            put("join_sessioned_" + p.name(), ByteBuffer.wrap(p.metadata()));
        }
        for (JoinGroupRequestProtocol p : IncrementalCooperativeConnectProtocol.metadataRequest(jg, false)) {
            put("join_compatible_" + p.name(), ByteBuffer.wrap(p.metadata()));
        }
        for (JoinGroupRequestProtocol p : ConnectProtocol.metadataRequest(jg)) {
            put("join_eager_" + p.name(), ByteBuffer.wrap(p.metadata()));
        }
        Files.write(dir.resolve("java_bytes.txt"), lines, StandardCharsets.UTF_8);
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static void read(Path in, Path out) throws Exception {
        List<String> result = new ArrayList<>();
        for (String line : Files.readAllLines(in, StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t");
            ByteBuffer buf = ByteBuffer.wrap(unhex(parts.length > 2 ? parts[2] : ""));
            String text;
            if (parts[0].equals("metadata")) {
                ExtendedWorkerState s = IncrementalCooperativeConnectProtocol.deserializeMetadata(buf);
                text = "v" + s.assignment().version() + " " + s;
            } else {
                ExtendedAssignment a = IncrementalCooperativeConnectProtocol.deserializeAssignment(buf);
                text = "v" + a.version() + " " + a;
            }
            result.add(parts[1] + "\t" + text);
        }
        Files.write(out, result, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("write")) {
            write(Path.of(args[1]));
        } else if (args.length >= 3 && args[0].equals("read")) {
            read(Path.of(args[1]), Path.of(args[2]));
        } else {
            System.err.println("usage: Gen write <dir> | Gen read <in> <out>");
            System.exit(2);
        }
    }
}
