package io.admission.server.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.util.FileUtils;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The replicas of one cluster test ({@link TestReplica}), their data in a temporary directory of
 * their own; after each test, whatever its outcome, those still running are stopped and the
 * directory deleted. Registered with {@code @RegisterExtension}: a test's own {@code @AfterEach}
 * methods run before the replicas stop.
 */
final class Replicas implements AfterEachCallback {
  private final List<TestReplica> made = new ArrayList<>();
  private Path dir;

  /** Three replicas with ids {@code prefix}1..3 on free loopback ports; not started. */
  List<TestReplica> three(String prefix, RaftReplica.Options options) throws Exception {
    if (dir == null) {
      dir = Files.createTempDirectory("admission-cluster-test");
    }
    List<TestReplica> nodes = TestReplica.three(prefix, dir, options);
    made.addAll(nodes);
    return nodes;
  }

  /** {@link #three} started on {@code clock}, once every one serves. */
  List<TestReplica> startedThree(String prefix, RaftReplica.Options options, InstantSource clock,
      String where) throws Exception {
    List<TestReplica> nodes = three(prefix, options);
    for (TestReplica n : nodes) {
      n.start(clock);
    }
    TestReplica.awaitServing(nodes, where);
    return nodes;
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    TestReplica.stopAll(made);
    made.clear();
    if (dir != null) {
      FileUtils.deleteFully(dir);
      dir = null;
    }
  }
}
