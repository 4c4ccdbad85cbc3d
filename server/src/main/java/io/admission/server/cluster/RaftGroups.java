package io.admission.server.cluster;

import io.admission.v1.GetClusterStatusResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;

/**
 * This node's replicas of the cluster's {@code --groups} Raft groups, all hosted by one Ratis
 * server (one port, one set of RPC threads): each group has its own log, state machine, snapshots
 * and leader, so orgs in different groups commit independently. Group {@code g}'s id is derived
 * from {@code g} alone ({@link #groupId}), so every node agrees on it without being told; each
 * group's storage is a directory named by that id under {@code <data-dir>/raft}.
 */
public final class RaftGroups implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RaftGroups.class.getName());
  /** Most groups a node hosts: each costs a log, a state machine, a loop and their threads. */
  public static final int MAX_GROUPS = 64;

  /** A data directory that holds other groups than the ones asked for; the message says which. */
  public static final class Mismatch extends IOException {
    private static final long serialVersionUID = 1L;

    Mismatch(String message) {
      super(message);
    }
  }

  private final RaftServer server;
  private final List<RaftReplica> replicas;

  private RaftGroups(RaftServer server, List<RaftReplica> replicas) {
    this.server = server;
    this.replicas = List.copyOf(replicas);
  }

  /**
   * Group {@code g}'s Raft id: a name-based UUID of "admission-cluster-group-g", the same on every
   * node and in every version (group 0's is the id a cluster of one group has always had).
   */
  public static RaftGroupId groupId(int g) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
        ("admission-cluster-group-" + g).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Starts this node's Raft server over {@code dataDir}/raft with {@code groups} groups,
   * recovering those it holds and creating the others. Refused ({@link Mismatch}) when the
   * directory was started with another number of groups: orgs are placed by that number, so
   * starting with another would hide orgs.
   */
  public static RaftGroups start(Peers peers, Path dataDir, RaftReplica.Options options,
      InstantSource clock, int groups) throws IOException {
    if (groups < 1 || groups > MAX_GROUPS) {
      throw new IllegalArgumentException("groups must be from 1 to " + MAX_GROUPS + ", got " + groups);
    }
    Path raft = dataDir.resolve("raft");
    Files.createDirectories(raft);
    checkHeld(raft, groups);
    Map<RaftGroupId, ReplicaStateMachine> machines = new HashMap<>();
    List<RaftGroup> raftGroups = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      RaftGroup group = RaftGroup.valueOf(groupId(g), peers.raftPeers());
      raftGroups.add(group);
      machines.put(group.getGroupId(), new ReplicaStateMachine(clock, options.bounds()));
    }
    RaftProperties properties = RaftReplica.properties(peers, dataDir, options);
    RaftPeerId self = RaftPeerId.valueOf(peers.self());
    RaftServer server = RaftServer.newBuilder()
        .setServerId(self)
        .setGroup(raftGroups.get(0)) // the others are recovered from their directories, or added
        .setStateMachineRegistry(machines::get)
        .setProperties(properties)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    List<RaftReplica> replicas = new ArrayList<>();
    try {
      server.start();
      ClientId clientId = ClientId.randomId();
      Set<RaftGroupId> held = new HashSet<>();
      server.getGroupIds().forEach(held::add);
      for (int g = 1; g < groups; g++) {
        RaftGroup group = raftGroups.get(g);
        if (!held.contains(group.getGroupId())) {
          RaftClientReply added = server.groupManagement(
              GroupManagementRequest.newAdd(clientId, self, g, group, false));
          if (!added.isSuccess()) {
            throw new IOException("adding Raft group " + g + " failed", added.getException());
          }
        }
      }
      for (int g = 0; g < groups; g++) {
        RaftGroup group = raftGroups.get(g);
        replicas.add(RaftReplica.join(peers, group, groups == 1 ? "" : " (group " + g + ")",
            machines.get(group.getGroupId()), server, properties, null));
      }
    } catch (IOException | RuntimeException e) {
      replicas.forEach(RaftReplica::close);
      server.close();
      throw e;
    }
    return new RaftGroups(server, replicas);
  }

  /**
   * The number of groups is kept in {@code raft/groups} from the first start on; a directory from
   * before it was kept holds group 0 only. Any other number is refused: orgs are placed by it.
   */
  private static void checkHeld(Path raft, int groups) throws IOException {
    Path kept = raft.resolve("groups");
    int held;
    if (Files.exists(kept)) {
      try {
        held = Integer.parseInt(Files.readString(kept, StandardCharsets.UTF_8).strip());
      } catch (NumberFormatException e) {
        throw new Mismatch(kept + " does not hold a number of Raft groups");
      }
    } else if (Files.isDirectory(raft.resolve(groupId(0).getUuid().toString()))) {
      held = 1;
    } else {
      held = groups; // a new node
    }
    if (held != groups) {
      throw new Mismatch("was started with --groups " + held + ", not " + groups + ": orgs are"
          + " placed by the number of groups, so a node keeps the number it was first started with"
          + " (every node of the cluster the same)");
    }
    if (!Files.exists(kept)) {
      Path tmp = raft.resolve("groups.tmp");
      Files.writeString(tmp, groups + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, kept, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** Group {@code g}'s replica. */
  public RaftReplica group(int g) {
    return replicas.get(g);
  }

  /** Every group's replica, group 0 first. */
  public List<RaftReplica> replicas() {
    return replicas;
  }

  /**
   * The cluster as this node sees it: group 0's leader and nodes (what a cluster of one group
   * reports), and every group's leader and applied index.
   */
  public GetClusterStatusResponse status() {
    GetClusterStatusResponse.Builder b = replicas.get(0).status().toBuilder();
    for (int g = 0; g < replicas.size(); g++) {
      b.addGroups(replicas.get(g).groupStatus(g));
    }
    return b.build();
  }

  /**
   * Each group as this node sees it, group 0 first: what GetClusterStatus would answer if the
   * cluster had that group alone (its leader, and each node's role and applied index in it).
   */
  public List<GetClusterStatusResponse> statusByGroup() {
    List<GetClusterStatusResponse> out = new ArrayList<>(replicas.size());
    for (RaftReplica r : replicas) {
      out.add(r.status());
    }
    return out;
  }

  /**
   * Why this node refuses every request (no group has a quorum), or null while some group serves;
   * a group that does not refuses its own orgs' requests, saying which group it is.
   */
  public String unavailable() {
    String why = null;
    for (RaftReplica r : replicas) {
      String its = r.unavailable(); // read once: it changes on the checkers' threads
      if (its == null) {
        return null;
      }
      why = why == null ? its : why;
    }
    return replicas.size() == 1 ? why
        : "none of the cluster's " + replicas.size() + " groups can serve on this node now: " + why;
  }

  /** Whether every group has a quorum here: health is SERVING only then. */
  public boolean serving() {
    for (RaftReplica r : replicas) {
      if (r.unavailable() != null) {
        return false;
      }
    }
    return true;
  }

  /** Whether this node leads every group: the node the Java client sends its calls to. */
  public boolean leading() {
    for (RaftReplica r : replicas) {
      if (!r.leading()) {
        return false;
      }
    }
    return true;
  }

  /**
   * A loop of this node stopped applying commands: the node leads no group from now on ({@link
   * RaftReplica#yieldLeadership}), every group alike. Health is the node's, not a group's (it is
   * NOT_SERVING once any loop halted), and a client that follows the leader needs one node that
   * leads every group: a halted node that kept leading the others would leave it none.
   */
  public void yieldLeadership() {
    replicas.forEach(RaftReplica::yieldLeadership);
  }

  /** Stops every group's checks and client, then the server (which snapshots each group). */
  @Override
  public void close() {
    replicas.forEach(RaftReplica::close);
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "closing the Raft server failed", e);
    }
  }
}
