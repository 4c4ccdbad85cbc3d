package io.admission.bench.load;

import java.util.List;
import java.util.concurrent.Executor;

/**
 * The nodes of a cluster, each on a {@link GrpcTarget} of its own (one connection, one I/O
 * thread), the callers spread over them by call id: every node serves every request (a follower
 * hands its writes to the leader through Raft), so the load reaches the cluster the way a client
 * of all its nodes sends it, and a call's Release goes to the node that took its Acquire.
 */
final class ClusterTarget implements LoadTarget {
  private final List<GrpcTarget> nodes;

  ClusterTarget(List<GrpcTarget> nodes) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a cluster target needs at least one node");
    }
    this.nodes = List.copyOf(nodes);
  }

  private GrpcTarget node(String callId) {
    return nodes.get(Math.floorMod(callId.hashCode(), nodes.size()));
  }

  @Override
  public void acquire(String callId, Callback<Outcome> callback) {
    node(callId).acquire(callId, callback);
  }

  @Override
  public void release(String callId, Callback<Void> callback) {
    node(callId).release(callId, callback);
  }

  @Override
  public void waitForSlot(String callId, Callback<Void> callback) {
    node(callId).waitForSlot(callId, callback);
  }

  /** The first node's thread: only the contended run uses it, and it runs on one server. */
  @Override
  public Executor ioThread() {
    return nodes.get(0).ioThread();
  }

  @Override
  public void close() {
    nodes.forEach(GrpcTarget::close);
  }
}
