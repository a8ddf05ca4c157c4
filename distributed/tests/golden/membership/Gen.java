// Records the group requests a Java Connect worker (kafka-clients / connect-runtime 4.1.2) puts on
// the wire, built the way AbstractCoordinator and WorkerCoordinator build them, so that Strait's
// membership tests can compare their bytes with Java's.
//
// Rerun: java -cp '/work/main/.test-services/kafka/libs/*' Gen.java distributed/tests/golden/membership
//
// Output: <name>.bin = request header + body exactly as sent after the 4-byte size prefix
// (client id "connect-1", correlation id 7), and protocols.txt = one line per protocol that
// WorkerCoordinator offers (in its order): name, then metadata as hex.
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;

public class Gen {
    static final String GROUP = "connect-cluster";
    static final String MEMBER = "connect-1-0f3c2a9e-1b7d-4d7e-9a43-2c1e8f6b5a10";

    static void write(Path dir, String name, AbstractRequest request, ApiKeys api, short version) throws Exception {
        RequestHeader header = new RequestHeader(api, version, "connect-1", 7);
        ByteBuffer buf = request.serializeWithHeader(header);
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        Files.write(dir.resolve(name + ".bin"), bytes);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        // WorkerCoordinator.metadata() with connect.protocol=sessioned: sessioned, compatible, default.
        ExtendedWorkerState state = new ExtendedWorkerState("http://worker-1:8083/", 42L, null);
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
            IncrementalCooperativeConnectProtocol.metadataRequest(state, true);
        List<String> lines = new ArrayList<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol p : protocols) {
            lines.add(p.name() + " " + hex(p.metadata()));
        }
        Files.write(dir.resolve("protocols.txt"), lines);

        // AbstractCoordinator.sendJoinGroupRequest: first join (no member id yet, reason "") and
        // the KIP-394 retry with the coordinator's member id.
        for (String member : new String[] {"", MEMBER}) {
            JoinGroupRequestData data = new JoinGroupRequestData()
                .setGroupId(GROUP)
                .setSessionTimeoutMs(10000)
                .setMemberId(member)
                .setGroupInstanceId(null)
                .setProtocolType("connect")
                .setProtocols(protocols.duplicate())
                .setRebalanceTimeoutMs(60000)
                .setReason(JoinGroupRequest.maybeTruncateReason(member.isEmpty() ? "" : "need to re-join with the given member-id: " + member));
            short v = 9;
            write(dir, member.isEmpty() ? "join-first-v9" : "join-member-id-v9", new JoinGroupRequest.Builder(data).build(v), ApiKeys.JOIN_GROUP, v);
        }

        // onJoinFollower: no assignments; onLeaderElected: one per member.
        short syncV = 5;
        SyncGroupRequestData follower = new SyncGroupRequestData()
            .setGroupId(GROUP).setMemberId(MEMBER).setProtocolType("connect").setProtocolName("sessioned")
            .setGroupInstanceId(null).setGenerationId(3).setAssignments(Collections.emptyList());
        write(dir, "sync-follower-v5", new SyncGroupRequest.Builder(follower).build(syncV), ApiKeys.SYNC_GROUP, syncV);
        SyncGroupRequestData leader = new SyncGroupRequestData()
            .setGroupId(GROUP).setMemberId(MEMBER).setProtocolType("connect").setProtocolName("sessioned")
            .setGroupInstanceId(null).setGenerationId(3)
            .setAssignments(List.of(new SyncGroupRequestData.SyncGroupRequestAssignment()
                .setMemberId(MEMBER).setAssignment(new byte[] {0, 1, 2, 3})));
        write(dir, "sync-leader-v5", new SyncGroupRequest.Builder(leader).build(syncV), ApiKeys.SYNC_GROUP, syncV);

        short hbV = 4;
        HeartbeatRequestData hb = new HeartbeatRequestData()
            .setGroupId(GROUP).setMemberId(MEMBER).setGroupInstanceId(null).setGenerationId(3);
        write(dir, "heartbeat-v4", new HeartbeatRequest.Builder(hb).build(hbV), ApiKeys.HEARTBEAT, hbV);

        // maybeLeaveGroup("the consumer is being closed"), as WorkerGroupMember.stop() ends up sending.
        short leaveV = 5;
        LeaveGroupRequest.Builder leave = new LeaveGroupRequest.Builder(GROUP,
            List.of(new MemberIdentity().setMemberId(MEMBER)
                .setReason(JoinGroupRequest.maybeTruncateReason("the consumer is being closed"))));
        write(dir, "leave-v5", leave.build(leaveV), ApiKeys.LEAVE_GROUP, leaveV);
    }
}
