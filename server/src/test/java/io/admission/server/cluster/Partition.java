package io.admission.server.cluster;

import java.util.List;
import org.apache.ratis.util.CodeInjectionForTesting;

/**
 * Cuts one node off from the others through Ratis' injection points: every server-to-server
 * request it sends or receives fails, as if the network between them were down. Process-wide:
 * a test that cuts one heals it after.
 */
final class Partition {
  private Partition() {}

  /** Ratis' names of its injection points: the receiving side of each server-to-server request. */
  private static final List<String> SERVER_REQUESTS = List.of(
      "RaftServerImpl.appendEntries", "RaftServerImpl.requestVote", "RaftServerImpl.installSnapshot");

  static void cutOff(TestReplica node) {
    String cutId = node.id();
    for (String point : SERVER_REQUESTS) {
      CodeInjectionForTesting.put(point, (local, remote, args) -> {
        if (cutId.equals(String.valueOf(local)) || cutId.equals(String.valueOf(remote))) {
          throw new IllegalStateException("partitioned from " + cutId + " by the test");
        }
        return false;
      });
    }
  }

  static void heal() {
    SERVER_REQUESTS.forEach(CodeInjectionForTesting::remove);
  }
}
