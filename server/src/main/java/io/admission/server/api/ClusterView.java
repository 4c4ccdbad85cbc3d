package io.admission.server.api;

import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.NodeRole;

/**
 * The cluster as the edges see it: for GetClusterStatus and the web page's cluster line, and for
 * the gRPC edge to refuse calls without a quorum. Here, not in either edge, so that both read it.
 */
public interface ClusterView {
  /** The nodes and the leader as this node sees them. */
  GetClusterStatusResponse status();

  /** Why this node refuses requests now (a sentence for the caller), or null while it serves. */
  String unavailable();

  /** A server that runs alone on its own journal: always serving, the only node, leading itself. */
  static ClusterView alone(String nodeId, String address) {
    GetClusterStatusResponse status = GetClusterStatusResponse.newBuilder()
        .setLeaderId(nodeId)
        .setAnsweredBy(nodeId)
        .addNodes(ClusterNode.newBuilder().setNodeId(nodeId).setAddress(address)
            .setRole(NodeRole.NODE_ROLE_STANDALONE))
        .build();
    return new ClusterView() {
      @Override
      public GetClusterStatusResponse status() {
        return status;
      }

      @Override
      public String unavailable() {
        return null;
      }
    };
  }
}
