package io.admission.server.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * {@code --peers ID=HOST:PORT,...}: every node of the cluster and its Raft address, the same list
 * on every node; {@code --node-id} names this node among them.
 */
public record Peers(String self, List<String> ids, Map<String, String> addresses) {
  /** A --peers or --node-id value that cannot be used; the message names the option. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  public Peers {
    ids = List.copyOf(ids);
    addresses = Map.copyOf(addresses);
  }

  /** Parses {@code --peers} and checks that {@code --node-id} is one of them. */
  public static Peers parse(String nodeId, String peers) throws Invalid {
    if (nodeId == null || nodeId.isBlank()) {
      throw new Invalid("--peers needs --node-id ID: which of the peers this node is");
    }
    Map<String, String> byId = new LinkedHashMap<>();
    for (String item : peers.split(",")) {
      String entry = item.strip();
      int eq = entry.indexOf('=');
      int colon = entry.lastIndexOf(':');
      if (eq <= 0 || colon < eq + 2 || colon == entry.length() - 1) {
        throw new Invalid("--peers " + peers + ": \"" + entry + "\" is not ID=HOST:PORT");
      }
      String id = entry.substring(0, eq);
      if (!id.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new Invalid("--peers " + peers + ": node id \"" + id
            + "\" must be 1-64 letters, digits, '.', '_' or '-'");
      }
      try {
        int port = Integer.parseInt(entry.substring(colon + 1));
        if (port < 1 || port > 65_535) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new Invalid("--peers " + peers + ": \"" + entry + "\" needs a port from 1 to 65535");
      }
      if (byId.put(id, entry.substring(eq + 1)) != null) {
        throw new Invalid("--peers " + peers + ": node id " + id + " is listed twice");
      }
    }
    if (!byId.containsKey(nodeId)) {
      throw new Invalid("--node-id " + nodeId + " is not one of --peers " + String.join(",", byId.keySet()));
    }
    return new Peers(nodeId, new ArrayList<>(byId.keySet()), byId);
  }

  /**
   * The seed: the first of --peers, which applies --config to a new cluster and is its first
   * leader.
   */
  public String seed() {
    return ids.get(0);
  }

  /** Whether this node is the {@link #seed}. */
  public boolean isSeed() {
    return self.equals(seed());
  }

  /** This node's Raft address. */
  String selfAddress() {
    return addresses.get(self);
  }

  List<RaftPeer> raftPeers() {
    List<RaftPeer> out = new ArrayList<>();
    for (String id : ids()) {
      out.add(RaftPeer.newBuilder().setId(RaftPeerId.valueOf(id)).setAddress(addresses.get(id)).build());
    }
    return out;
  }
}
