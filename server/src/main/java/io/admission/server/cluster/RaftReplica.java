package io.admission.server.cluster;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.journal.ReplicatedEntries;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.NotHere;
import io.admission.server.loop.ReplicatedLog;
import io.admission.v1.ClusterGroup;
import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.NodeRole;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * This node's replica of the cluster's one Raft group (Apache Ratis): the log the loop proposes to
 * ({@link ReplicatedLog}), the state machine that hands committed entries back to the loop, and
 * what the node knows of the others ({@link #status}). A node serves only while it belongs to a
 * majority that has a leader: a leader that is one, or a follower that heard from the leader
 * lately ({@link #unavailable}).
 */
public final class RaftReplica implements ReplicatedLog, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RaftReplica.class.getName());

  /**
   * Election timeouts. Ratis' defaults (150–300 ms) are for idle machines: on two cores shared by
   * three nodes under load, a GC pause or a busy run queue then starts needless elections. 400–800
   * ms keeps those rare and still puts a new leader in place well within the 3 s a client may
   * wait (docs/BENCHMARKS.md has the measured gaps).
   */
  static final TimeDuration ELECTION_MIN = TimeDuration.valueOf(400, TimeUnit.MILLISECONDS);
  static final TimeDuration ELECTION_MAX = TimeDuration.valueOf(800, TimeUnit.MILLISECONDS);
  /** A follower that has not heard from the leader this long is cut off: it refuses requests. */
  private static final long LEADER_SILENCE_MILLIS = 2 * 800;
  private static final long CHECK_EVERY_MILLIS = 100;
  /** How long Ratis may take to step this node down as leader before it answers a failure. */
  private static final long STEP_DOWN_TIMEOUT_MILLIS = 3_000;
  /**
   * A follower that has just started, or was cut off from the leader, or fell this many log
   * entries behind what the leader has committed, refuses requests until it is within {@link
   * #RESUME_LAG} of it. A node answers a write only once it has applied it itself, so a node still
   * catching up would hold every caller that reaches it for the whole catch-up — measured: 5–7 s
   * in which no request of 256 callers completed after a restart, each of them having come round
   * to the restarted node. Refused, they go to another node at once. MAX_LAG is a second or two of
   * entries at full load (the bench's cluster stage makes ~600 a second): a follower briefly
   * behind (a GC pause, a busy core) keeps serving and its streams open.
   */
  static final long MAX_LAG = 1024;
  static final long RESUME_LAG = 32;
  /**
   * A follower behind the leader's commit index that applies nothing for this long refuses
   * requests and says so, whatever its lag: it could not answer them (a node answers a write once
   * it has applied it, and a read after the read index). A catch-up applies entries all along; a
   * node that does not may be one Ratis cannot repair (see {@link #properties}).
   */
  static final long STUCK_MILLIS = 20_000;
  /**
   * Ratis logs every election, segment and vote at INFO, and each retried proposal at SEVERE
   * (a retry that then succeeds): warnings only, and proposals' fate is reported by this class.
   * Held here because java.util.logging keeps loggers only weakly.
   */
  private static final java.util.logging.Logger RATIS_LOGS = quiet("org.apache.ratis", java.util.logging.Level.WARNING);
  private static final java.util.logging.Logger RATIS_RETRIES = quiet("org.apache.ratis.client.impl.OrderedAsync", java.util.logging.Level.OFF);

  private static java.util.logging.Logger quiet(String name, java.util.logging.Level level) {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
    logger.setLevel(level);
    return logger;
  }

  /**
   * Settings of the replica: {@code snapshotEveryEntries} bounds the log kept and a restart's
   * replay; {@code bounds} are the engine's (every node of a cluster must be given the same, since
   * a command refused at a bound stays in the log and every replica must refuse it alike); {@code
   * seedWait} is {@link #SEED_WAIT}.
   */
  public record Options(long snapshotEveryEntries, Engine.Bounds bounds, Duration seedWait) {
    public static final Options DEFAULT = new Options(100_000, Engine.Bounds.NONE);

    /** With {@link #SEED_WAIT}. */
    public Options(long snapshotEveryEntries, Engine.Bounds bounds) {
      this(snapshotEveryEntries, bounds, SEED_WAIT);
    }
  }

  /**
   * How long a new node other than the first of --peers (the seed) waits for a leader before it
   * stands for election itself: see {@link #properties}. Long against the seed's first election
   * (400–800 ms) and a few seconds of skew between the nodes' starts; short because Ratis keeps a
   * first wait once begun, so a leader lost in a new cluster's first seconds is replaced only
   * after it (within about 4 s instead of 1).
   */
  public static final Duration SEED_WAIT = Duration.ofSeconds(3);

  private final Peers peers;
  private final RaftGroup group;
  /** "" with one group; " (group N)" in what this replica says with several. */
  private final String label;
  /** Closes the Raft server when this replica has it alone; the node's groups share theirs. */
  private final AutoCloseable ownServer;
  private final RaftPeerId self;
  private final ReplicaStateMachine stateMachine;
  private final RaftServer server;
  private final RaftProperties properties;
  /**
   * This node's client to the group, for its proposals; replaced when a proposal fails (see
   * {@link #propose}). Written under {@code this}, read without.
   */
  private volatile RaftClient client;
  private final String origin;
  private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "admission-cluster-check");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean leading;
  /** Why this node refuses requests now, or null while it serves. */
  private volatile String unavailable = "this node is starting and has not yet found the cluster's leader";
  private volatile EventLoop loop;
  private volatile Consumer<Boolean> onServing = serving -> { };
  private volatile Runnable onLeading = () -> { };
  /**
   * Set once this node's loop stopped applying commands ({@link #yieldLeadership}): it must not
   * lead the group again until it is restarted.
   */
  private volatile boolean yielded;
  private final ClientId adminClient = ClientId.randomId();
  private final AtomicLong adminCalls = new AtomicLong();
  /** Whether this follower was last found too far behind the leader; under {@code checking}. */
  private boolean catchingUp = true;
  /**
   * The applied index last seen by the checks, and since when (System.nanoTime) this follower has
   * been behind the leader's commit index without applying anything; under {@code checking}.
   */
  private long appliedSeen = Long.MIN_VALUE;
  private long stuckSince;
  /** Whether this node has warned that it is stuck at its first entry. */
  private boolean warnedFirstEntry;
  /** Checks run on the checker's thread and on Ratis' when the leader changes: one at a time. */
  private final Object checking = new Object();

  private RaftReplica(Peers peers, RaftGroup group, String label, ReplicaStateMachine stateMachine,
      RaftServer server, RaftProperties properties, AutoCloseable ownServer) {
    this.peers = peers;
    this.group = group;
    this.label = label;
    this.ownServer = ownServer;
    this.self = RaftPeerId.valueOf(peers.self());
    this.stateMachine = stateMachine;
    this.server = server;
    this.properties = properties;
    this.client = newClient(properties, group);
    byte[] boot = new byte[6];
    new SecureRandom().nextBytes(boot);
    this.origin = peers.self() + "/" + HexFormat.of().formatHex(boot);
  }

  /**
   * Starts this node's Raft server over {@code dataDir}/raft (recovering what it holds: the
   * latest snapshot, then the log after it) and a client to the group for its proposals: a node
   * of one group ({@link RaftGroups} hosts several on one server).
   */
  public static RaftReplica start(Peers peers, Path dataDir, Options options, InstantSource clock)
      throws IOException {
    RaftGroup group = RaftGroup.valueOf(RaftGroups.groupId(0), peers.raftPeers());
    RaftProperties properties = properties(peers, dataDir, options);
    Files.createDirectories(dataDir.resolve("raft"));
    ReplicaStateMachine stateMachine = new ReplicaStateMachine(clock, options.bounds());
    RaftServer server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(peers.self()))
        .setGroup(group)
        .setStateMachine(stateMachine)
        .setProperties(properties)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    server.start();
    return join(peers, group, "", stateMachine, server, properties, server);
  }

  /**
   * This node's replica of {@code group}, hosted by {@code server} (started, with {@code
   * stateMachine} as the group's): a client to the group for its proposals and the checks of its
   * state. {@code ownServer} is closed with the replica (null: the server outlives it).
   */
  static RaftReplica join(Peers peers, RaftGroup group, String label,
      ReplicaStateMachine stateMachine, RaftServer server, RaftProperties properties,
      AutoCloseable ownServer) {
    RaftReplica replica = new RaftReplica(peers, group, label, stateMachine, server, properties, ownServer);
    stateMachine.onLeaderChange(replica::check);
    replica.checker.scheduleWithFixedDelay(replica::check, 0, CHECK_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    return replica;
  }

  private static RaftClient newClient(RaftProperties properties, RaftGroup group) {
    return RaftClient.newBuilder()
        .setProperties(properties)
        .setRaftGroup(group)
        .setClientId(ClientId.randomId())
        // Bounded: a proposal that finds no leader within this is refused (UNAVAILABLE), and the
        // caller retries by call_id, here or on another node.
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
            30, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  static RaftProperties properties(Peers peers, Path dataDir, Options options) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(dataDir.resolve("raft").toFile()));
    String address = peers.selfAddress();
    int colon = address.lastIndexOf(':');
    GrpcConfigKeys.Server.setHost(p, address.substring(0, colon));
    GrpcConfigKeys.Server.setPort(p, Integer.parseInt(address.substring(colon + 1)));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, ELECTION_MIN);
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, ELECTION_MAX);
    // A new cluster's first leader is its seed. Ratis (3.3.0) cannot bring back a follower whose
    // first entry differs from the leader's: while the leader's next index for it is 0, a
    // heartbeat carries no previous entry to check, and the follower takes its own entry 0 as
    // committed; from then on it refuses the leader's entry 0 ("already exists") and entry 1 (its
    // previous does not match), for ever. Two first entries come from two nodes that each led with
    // an empty log: seen when six nodes (two clusters) started together on two cores, a node
    // elected while the first leader's entry was still on its way, then stuck at applied index 0
    // while the others went on. So a new node other than the seed waits seedWait before its first
    // election (Ratis' first-election timeout): the seed stands alone, and once its first entry
    // is out, every later leader holds it. A second first entry then needs a seed lost before
    // its first entry reached another node, or that entry slower than an election timeout to
    // reach both others.
    if (!peers.isSeed() && holdsNoLog(dataDir.resolve("raft"))) {
      TimeDuration wait = TimeDuration.valueOf(options.seedWait().toMillis(), TimeUnit.MILLISECONDS);
      RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, wait);
      RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, wait.add(ELECTION_MAX));
    }
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    // Reads on any node wait for the leader's commit index (ReadIndex): see afterCommitted.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // Snapshots bound the log a restart replays and let Ratis purge what they cover; a node that
    // needs a purged part gets the leader's snapshot instead.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, options.snapshotEveryEntries());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(Integer.MAX_VALUE, Math.max(1, options.snapshotEveryEntries() / 4)));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("8MB"));
    // By default Ratis appends an entry recording the commit index after every commit: a second
    // entry, RPC, fsync and turn on every node for each of ours. Raft's safety does not need it (a
    // restarted node learns what is committed from the leader). Without it, three nodes and 256
    // callers on two cores gave 11.4 k pairs/s against 8.9 k, at 104 against 140 µs of CPU per pair.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
    // How long the leader waits between tries to reach a follower that does not answer. Ratis'
    // default backs off to 5 s, so a node that starts after the others can wait seconds for its
    // first entry; and until it has one, Ratis does not count its vote for a candidate whose log is
    // not empty (a node with an empty log may be one whose disk was wiped). Were the leader lost in
    // that window, the two nodes left could elect no one until it came back. Measured: a node that
    // joined 25 s after the others held no entry 2 s after it started; with 100 ms (±50 %) between
    // tries, it held one after 0.3 s. A try on a node that is down costs a refused connection.
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, 100ms," + Integer.MAX_VALUE);
    // One entry per loop turn keeps both small; Ratis' defaults grew the heap by gigabytes under
    // load (a 60 s retry cache, large segment caches).
    RaftServerConfigKeys.RetryCache.setExpiryTime(p, TimeDuration.valueOf(10, TimeUnit.SECONDS));
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
    RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf("32MB"));
    // The loop proposes each turn without waiting for the last: many may be in flight.
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 1000);
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    return p;
  }

  /** Whether {@code raft} (a node's Raft storage) holds no log segment and no snapshot yet. */
  private static boolean holdsNoLog(Path raft) {
    if (!Files.isDirectory(raft)) {
      return true;
    }
    try (var files = Files.walk(raft)) {
      return files.map(f -> f.getFileName().toString())
          .noneMatch(name -> name.startsWith("log_") || name.startsWith("snapshot."));
    } catch (IOException e) {
      return false;
    }
  }

  /** This node's Ratis division of the group: its role, its log, its metrics. */
  RaftServer.Division division() throws IOException {
    return server.getDivision(group.getGroupId());
  }

  /** This replica's state machine, for tests that look into its snapshots. */
  ReplicaStateMachine stateMachine() {
    return stateMachine;
  }

  /** The engine to start the loop with: the latest snapshot's, or empty. */
  public Engine engine() {
    return stateMachine.initialEngine();
  }

  /** Hands committed entries to {@code loop} from now on (those already committed first). */
  public void attach(EventLoop loop) {
    this.loop = loop;
    stateMachine.attach(loop);
  }

  /** Told when this node starts or stops leading the group (on the checker's thread). */
  public void onLeading(Runnable listener) {
    this.onLeading = listener;
  }

  /** Told true when this node starts serving, false when it stops (on the checker's thread). */
  public void onServing(Consumer<Boolean> listener) {
    this.onServing = listener;
  }

  /**
   * This node's loop stopped applying commands: it answers nothing any more, so it must not order
   * the group's log. As leader it would still commit the others' writes, but clients that follow
   * the leader ({@code admission.leader}) would find no node to send to and spread their calls
   * over the followers, each write a hop away from the leader. So its leader election is paused
   * (it still votes, and still appends and acknowledges the leader's entries, so the two others
   * keep a majority) and, if it leads, it steps down: the others elect a leader once their election
   * timeout passes. Ratis keeps the pause in memory only: a restart, which the halt needs anyway,
   * lets the node lead again. Returns at once; an election already under way that this node wins
   * ends with another step-down, at the next check.
   */
  public void yieldLeadership() {
    yielded = true;
    try {
      server.leaderElectionManagementAsync(LeaderElectionManagementRequest.newPause(
              adminClient, self, group.getGroupId(), adminCalls.incrementAndGet()))
          .whenComplete((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
              LOG.log(Level.WARNING, "pausing this node's leader election failed" + label,
                  error != null ? error : reply.getException());
            }
          });
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "pausing this node's leader election failed" + label, e);
    }
    LOG.log(Level.WARNING, "this node stopped applying commands: it no longer stands for leader"
        + label + " until it is restarted");
    stepDownIfLeading();
  }

  /** A leader that has yielded steps down (Ratis' transferLeadership to nobody). */
  private void stepDownIfLeading() {
    try {
      if (!division().getInfo().isLeader()) {
        return;
      }
      LOG.log(Level.WARNING, "stepping down as leader" + label + ": this node stopped applying commands");
      server.transferLeadershipAsync(new TransferLeadershipRequest(adminClient, self,
              group.getGroupId(), adminCalls.incrementAndGet(), null, STEP_DOWN_TIMEOUT_MILLIS))
          .whenComplete((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
              LOG.log(Level.WARNING, "stepping down as leader failed" + label + "; tried again at"
                  + " the next check", error != null ? error : reply.getException());
            }
          });
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "stepping down as leader failed" + label, e);
    }
  }

  // ---- ReplicatedLog ----------------------------------------------------------------------

  @Override
  public void propose(long proposal, List<Commands.Command<?>> commands, List<String> actors,
      Outcome outcome) {
    String why = unavailable;
    if (why != null) {
      outcome.refused(new NotHere(toCallers(why)));
      return;
    }
    byte[] bytes = ReplicatedEntries.proposal(origin, proposal, commands, actors);
    RaftClient sender = client;
    sender.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)))
        .whenComplete((reply, error) -> {
          if (error != null) {
            renew(sender);
          }
          if (error != null || !reply.isSuccess()) {
            outcome.refused(new NotHere(notCommitted(reply, error)));
          } else {
            outcome.committed(reply.getLogIndex());
          }
        });
  }

  /**
   * A proposal failed on {@code failed}: once one of its ordered requests has run out of retries
   * (the group had no leader for seconds), Ratis' client fails every later one at once, so this
   * node could never propose to the group again. Later proposals go through a new client; those
   * still in the old one fail with it, and their callers retry by call_id. Once per client.
   */
  private void renew(RaftClient failed) {
    synchronized (this) {
      if (client != failed || checker.isShutdown()) {
        return;
      }
      client = newClient(properties, group);
      checker.execute(() -> { // not on Ratis' thread that completed the proposal
        try {
          failed.close();
        } catch (IOException e) {
          LOG.log(Level.WARNING, "closing the Raft client failed" + label, e);
        }
      });
    }
    LOG.log(Level.INFO, "a proposal failed; proposing through a new client to the group" + label);
  }

  private static String notCommitted(RaftClientReply reply, Throwable error) {
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    if (cause == null && reply != null) {
      cause = reply.getException();
    }
    LOG.log(Level.DEBUG, "a proposal was not committed", cause);
    return "the cluster did not commit the request in time (no leader, or no majority of nodes"
        + " reachable); it may or may not have been applied: retry with the same call_id, here or"
        + " on another node";
  }

  /** Reads that wait for the barrier in flight, and those that came after it was sent. */
  private final Object barrierLock = new Object();
  private List<Barrier> covered = new java.util.ArrayList<>();
  private List<Barrier> next = new java.util.ArrayList<>();
  private boolean barrierInFlight;

  private record Barrier(Runnable then, Consumer<IOException> failed) {}

  /**
   * A Raft read index through this node (a linearizable read-only request): Ratis answers it once
   * this replica has applied everything committed when it was asked. One at a time, shared by
   * every read that arrives meanwhile; a read that arrives while one is in flight waits for the
   * next, since the one in flight may predate its caller's write.
   */
  @Override
  public void afterCommitted(Runnable then, Consumer<IOException> failed) {
    String why = unavailable;
    if (why != null) {
      failed.accept(new NotHere(toCallers(why)));
      return;
    }
    synchronized (barrierLock) {
      next.add(new Barrier(then, failed));
      if (barrierInFlight) {
        return;
      }
      barrierInFlight = true;
    }
    sendBarrier();
  }

  private void sendBarrier() {
    List<Barrier> batch;
    synchronized (barrierLock) {
      batch = next;
      next = covered;
      covered = batch;
    }
    client.async().sendReadOnlyUnordered(Message.EMPTY, self).whenComplete((reply, error) -> {
      IOException failure = error != null || !reply.isSuccess()
          ? new NotHere("this node could not learn the cluster's latest writes (no leader, or no"
              + " majority of nodes reachable); retry, here or on another node")
          : null;
      List<Barrier> done;
      boolean again;
      synchronized (barrierLock) {
        done = new java.util.ArrayList<>(covered);
        covered.clear();
        again = !next.isEmpty();
        barrierInFlight = again;
      }
      for (Barrier b : done) {
        if (failure == null) {
          b.then().run();
        } else {
          b.failed().accept(failure);
        }
      }
      if (again) {
        sendBarrier();
      }
    });
  }

  @Override
  public String origin() {
    return origin;
  }

  @Override
  public boolean leading() {
    return leading;
  }

  /** Why this node refuses requests now (a sentence for callers), or null while it serves. */
  public String unavailable() {
    return unavailable;
  }

  /**
   * {@code why} as this group's orgs' callers hear it: with several groups the others may serve,
   * so the sentence says that it is this org's group that cannot serve here, then why (no leader,
   * cut off, catching up).
   */
  private String toCallers(String why) {
    return label.isEmpty() ? why : "this org's group" + label + " cannot serve on this node now: " + why;
  }

  // ---- What this node knows -----------------------------------------------------------------

  private void check() {
    synchronized (checking) {
      checkNow();
    }
  }

  private void checkNow() {
    try {
      var division = division();
      var info = division.getInfo();
      boolean leader = info.isLeader() && info.isLeaderReady();
      RaftPeerId leaderId = info.getLeaderId();
      String why = null;
      boolean following = false;
      if (!info.isAlive()) {
        why = "this node is shutting down; send to another node of the cluster";
      } else if (leader) {
        why = null;
      } else if (info.isFollower() && leaderId != null) {
        long silence = info.getRoleInfoProto().getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs();
        if (silence > LEADER_SILENCE_MILLIS) {
          why = "this node has not heard from the cluster's leader for " + silence
              + " ms (cut off from the majority?); send to another node of the cluster";
          catchingUp = true; // once it hears again, it serves when it has caught up
        } else {
          following = true;
          why = behind(division, leaderId, info.getLastAppliedIndex());
        }
      } else {
        why = "this node knows no leader of the cluster now (an election, or no majority of nodes"
            + " reachable); retry shortly or send to another node";
      }
      if (leader) {
        catchingUp = false;
      }
      if (!following) {
        appliedSeen = Long.MIN_VALUE; // progress counts only while it follows a leader it hears
      }
      if (yielded && info.isLeader()) {
        stepDownIfLeading(); // elected before the pause took hold
      }
      boolean wasLeading = leading;
      leading = leader;
      String was = unavailable;
      unavailable = why;
      if ((was == null) != (why == null)) {
        LOG.log(Level.INFO, (why == null ? "serving: the cluster's leader is " + leaderId : why) + label);
        onServing.accept(why == null);
      }
      if (leader != wasLeading) {
        onLeading.run();
      }
      EventLoop l = loop;
      if (leader && !wasLeading && l != null) {
        l.wake(); // a new leader may owe the replicas a tick
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "checking the cluster's state failed" + label, e);
    }
  }

  /**
   * Why this follower is too far behind to serve, or null; remembered in {@code catchingUp}, since
   * once behind it must come within RESUME_LAG, not MAX_LAG, to serve again. The leader's commit
   * index is what the leader last told this node with entries it could append (Ratis' commit
   * infos); a node that has not yet been told, having just started, is catching up by definition.
   */
  private String behind(RaftServer.Division division, RaftPeerId leaderId, long applied) {
    long leaderCommit = -1;
    for (RaftProtos.CommitInfoProto c : division.getCommitInfos()) {
      if (c.getServer().getId().equals(leaderId.toByteString())) {
        leaderCommit = c.getCommitIndex();
      }
    }
    long lag = leaderCommit - applied;
    String stuckWhy = stuck(division, applied, lag);
    catchingUp = leaderCommit < 0 || lag > (catchingUp ? RESUME_LAG : MAX_LAG);
    if (stuckWhy != null) {
      return stuckWhy;
    }
    if (!catchingUp) {
      return null;
    }
    return leaderCommit < 0
        ? "this node is catching up with the cluster's log (it has not yet heard how far the leader"
            + " has committed); send to another node of the cluster"
        : "this node is catching up with the cluster's log (" + lag + " entries behind the leader);"
            + " send to another node of the cluster";
  }

  /**
   * Why this follower refuses for having applied nothing for {@link #STUCK_MILLIS} while behind
   * the leader by {@code lag} entries, or null (the checks log the refusal as it starts and ends).
   * A node stuck with its first entry committed and nothing after it is one whose first entry
   * differs from the leader's: that gets a warning naming the cure, once. (A new node waiting for
   * the leader's snapshot has committed nothing at all.)
   */
  private String stuck(RaftServer.Division division, long applied, long lag) {
    long now = System.nanoTime();
    if (applied != appliedSeen || lag <= 0) {
      appliedSeen = applied;
      stuckSince = now;
    }
    long millis = (now - stuckSince) / 1_000_000;
    if (millis < STUCK_MILLIS) {
      return null;
    }
    if (!warnedFirstEntry && division.getRaftLog().getLastCommittedIndex() == 0) {
      warnedFirstEntry = true;
      LOG.log(Level.WARNING, "this node is stuck at its first log entry" + label + ": its log likely"
          + " begins with another entry than the leader's, which Ratis does not repair (see \"A new"
          + " cluster's first leader is its seed\" in docs/OPERATIONS.md); stop this node, move its"
          + " --data-dir away and start it again, and it gets the log from the leader");
    }
    return "this node has applied no entry of the cluster's log for " + millis / 1000 + " s while "
        + lag + (lag == 1 ? " entry" : " entries") + " behind the leader; send to another node of"
        + " the cluster";
  }

  /** The cluster as this node sees it, for GetClusterStatus and the web page. */
  public GetClusterStatusResponse status() {
    GetClusterStatusResponse.Builder b = GetClusterStatusResponse.newBuilder().setAnsweredBy(peers.self());
    try {
      var division = division();
      var info = division.getInfo();
      RaftPeerId leaderId = unavailable == null ? info.getLeaderId() : null;
      if (leaderId != null) {
        b.setLeaderId(leaderId.toString());
      }
      var commits = info.isLeader() ? division.getCommitInfos() : List.<RaftProtos.CommitInfoProto>of();
      for (String id : peers.ids()) {
        ClusterNode.Builder n = ClusterNode.newBuilder().setNodeId(id).setAddress(peers.addresses().get(id));
        if (leaderId != null && leaderId.toString().equals(id)) {
          n.setRole(NodeRole.NODE_ROLE_LEADER);
        } else if (id.equals(peers.self())) {
          n.setRole(info.isCandidate() ? NodeRole.NODE_ROLE_CANDIDATE
              : info.isFollower() ? NodeRole.NODE_ROLE_FOLLOWER : NodeRole.NODE_ROLE_UNSPECIFIED);
        } else if (leaderId != null) {
          n.setRole(NodeRole.NODE_ROLE_FOLLOWER);
        }
        if (id.equals(peers.self())) {
          var applied = stateMachine.getLastAppliedTermIndex();
          n.setAppliedIndex(applied == null ? 0 : applied.getIndex());
        } else {
          for (RaftProtos.CommitInfoProto c : commits) {
            if (c.getServer().getId().toStringUtf8().equals(id)) {
              n.setAppliedIndex(c.getCommitIndex());
            }
          }
        }
        b.addNodes(n);
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "reading the cluster's state failed", e);
    }
    return b.build();
  }

  /** This group as this node sees it: its leader (while this node serves) and applied index. */
  ClusterGroup groupStatus(int g) {
    ClusterGroup.Builder b = ClusterGroup.newBuilder().setGroup(g);
    try {
      RaftPeerId leaderId = unavailable == null
          ? division().getInfo().getLeaderId() : null;
      if (leaderId != null) {
        b.setLeaderId(leaderId.toString());
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "reading the cluster's state failed" + label, e);
    }
    var applied = stateMachine.getLastAppliedTermIndex();
    return b.setAppliedIndex(applied == null ? 0 : applied.getIndex()).build();
  }

  @Override
  public void close() {
    synchronized (this) {
      // Under the lock: no client is renewed after this. The checks stop; a retired client
      // still waiting to be closed is closed.
      checker.shutdown();
    }
    try {
      client.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "closing the Raft client failed", e);
    }
    if (ownServer == null) {
      return;
    }
    try {
      ownServer.close();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "closing the Raft server failed", e);
    }
  }
}
