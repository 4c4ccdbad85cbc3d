package io.admission.server;

import io.admission.server.api.ClusterView;
import io.admission.server.api.IdLengths;
import io.admission.server.api.Refusals;
import io.admission.server.audit.AuditLog;
import io.admission.server.auth.AccessControl;
import io.admission.server.auth.Tokens;
import io.admission.server.cluster.Peers;
import io.admission.server.cluster.RaftGroups;
import io.admission.server.cluster.RaftReplica;
import io.admission.server.config.ConfigFile;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.grpc.AdmissionServices;
import io.admission.server.grpc.BoundSessions;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.server.grpc.IdBound;
import io.admission.server.http.WebServer;
import io.admission.server.journal.Journal;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.NotHere;
import io.admission.server.loop.Reply;
import io.admission.server.metrics.AdmissionMetrics;
import io.admission.server.metrics.Telemetry;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Starts Admission: the loop, the gRPC server, health and reflection. The only place with a clock. */
@Command(
    name = "admission-server",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "gRPC admission server for calls: org pools, reservations, seat limits.")
public final class Main implements Callable<Integer> {
  @Spec
  CommandSpec spec; // usage errors found while starting are reported like parsing ones

  @Option(names = "--listen", defaultValue = "127.0.0.1:50051",
      description = "HOST:PORT to serve gRPC on; port 0 picks a free one (default ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--data-dir", defaultValue = "./data",
      description = "Directory for the journal and snapshots (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--in-memory", description = "Keep no journal: a restart starts empty.")
  boolean inMemory;

  @Option(names = "--config", paramLabel = "FILE",
      description = "JSON ServerConfig (proto JSON mapping, e.g. config/demo.json): orgs with their"
          + " reservations and login and number limits. Seeds an empty data directory (always, with"
          + " --in-memory), as one change; over a data directory that already holds state it is not"
          + " applied again unless --config-apply is given. The whole file is checked before"
          + " anything starts: a bad one stops the start with one line naming the entry, and"
          + " changes nothing.")
  Path config;

  @Option(names = "--config-apply",
      description = "Apply --config over the state the data directory already holds, as one"
          + " audited change: all of it or, refused, none of it. Each org in the file is created or"
          + " its settings replaced, and each reservation, login and number limit it lists is set;"
          + " orgs, reservations, logins and numbers it does not list are left as they are.")
  boolean configApply;

  @Option(names = "--http", paramLabel = "HOST:PORT",
      description = "Also serve the web page (Concurrency page and Compliance Monitor, live) on"
          + " HOST:PORT; port 0 picks a free one. Off unless given.")
  String http;

  @Option(names = "--metrics", paramLabel = "HOST:PORT",
      description = "Serve OpenTelemetry metrics for Prometheus at http://HOST:PORT/metrics (and"
          + " gRPC server metrics); a fixed port, for Prometheus to scrape. Off unless given: the"
          + " metrics API is then a no-op.")
  String metrics;

  @Option(names = "--auth", paramLabel = "FILE",
      description = "Require a token of every caller: one a line, \"<sha256 hex of the token>"
          + " <role> [label]\", # comments. Roles: admin; org:<org_id> (AdmissionService and"
          + " reads of that org); monitor:<org_id> or monitor:* (AdmissionMonitorService and the"
          + " web page, read only). Clients send \"authorization: Bearer <token>\"; the audit log"
          + " names the label. Re-read on SIGHUP (a bad file then keeps the tokens in use).")
  Path auth;

  @Option(names = "--insecure",
      description = "Serve a non-loopback --listen, --http or --metrics without --auth, where"
          + " anyone who reaches the port is admin. Without it such a start is refused.")
  boolean insecure;

  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "PEM certificate chain: serve gRPC and the web page over TLS (with --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "FILE",
      description = "PEM CA certificate(s): require a client certificate it signed (mutual TLS)"
          + " on gRPC and the web page; the audit log names its subject when no token does.")
  Path tlsClientCa;

  @Option(names = "--node-id", paramLabel = "ID",
      description = "This node's id among --peers.")
  String nodeId;

  @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...",
      description = "Run as one node of a cluster: every node's id and Raft address (the same list"
          + " on every node, this one included). Writes are replicated through the cluster's log"
          + " (Apache Ratis) and the state survives the loss of any minority of nodes; each node"
          + " keeps its own --data-dir and serves gRPC on its own --listen. Without it the server"
          + " runs alone on its local journal.")
  String peers;

  @Option(names = "--groups", paramLabel = "G", defaultValue = "1",
      description = "With --peers: spread orgs over G Raft groups (by a CRC-32 of the org id), each"
          + " with its own log, leader and loop, so that orgs in different groups commit"
          + " independently. Every node gets the same G, and a node keeps the G it was first"
          + " started with (default ${DEFAULT-VALUE}; docs/OPERATIONS.md has the measured effect).")
  int groups;

  @Option(names = "--audit-retention", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationOption.class,
      description = "How long the audit log keeps events, e.g. 12h, 7d, 30d (default ${DEFAULT-VALUE}).")
  Duration auditRetention;

  @Option(names = "--session-grace", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationOption.class,
      description = "How long a Session stream that ended may be resumed before the calls bound to"
          + " it are released, e.g. 5s, 1m (default ${DEFAULT-VALUE}).")
  Duration sessionGrace;

  // ---- Bounds: what one client, or many, can make the server hold --------------------------

  @Option(names = "--max-message-bytes", paramLabel = "BYTES", defaultValue = "1048576",
      description = "Largest request message accepted, in bytes, over gRPC and as a web API body;"
          + " a larger one is RESOURCE_EXHAUSTED naming this flag (default ${DEFAULT-VALUE}: a"
          + " Renew of 1000 ids of 128 bytes is about 135 KB).")
  int maxMessageBytes;

  @Option(names = "--max-id-bytes", paramLabel = "BYTES", defaultValue = "128",
      description = "Longest org, call, agent or login id or caller number accepted, in bytes, up"
          + " to the API's 128, over gRPC and in the web API's paths and bodies; a longer one is"
          + " INVALID_ARGUMENT naming the field and this flag (default ${DEFAULT-VALUE}).")
  int maxIdBytes;

  @Option(names = "--max-orgs", paramLabel = "N", defaultValue = "100000",
      description = "Orgs the server holds at most; creating one more is RESOURCE_EXHAUSTED"
          + " (default ${DEFAULT-VALUE}).")
  int maxOrgs;

  @Option(names = "--max-held-calls-per-org", paramLabel = "N", defaultValue = "10000",
      description = "Held calls one org may have at once; an Acquire that would be held beyond"
          + " it is RESOURCE_EXHAUSTED, while calls that can start now still start"
          + " (default ${DEFAULT-VALUE}).")
  int maxHeldCallsPerOrg;

  @Option(names = "--max-streams-per-connection", paramLabel = "N", defaultValue = "10000",
      description = "Concurrent calls (WaitForSlot, WatchOrg and Session streams included) on"
          + " one connection, announced to clients as HTTP/2 MAX_CONCURRENT_STREAMS: a client"
          + " opens more only as others end (default ${DEFAULT-VALUE}).")
  int maxStreamsPerConnection;

  @Option(names = "--keepalive-time", paramLabel = "DURATION", defaultValue = "2m",
      converter = DurationOption.class,
      description = "Ping a connection that has been quiet this long, and close it if no answer"
          + " comes within --keepalive-timeout: the streams of a switch that vanished end"
          + " (default ${DEFAULT-VALUE}).")
  Duration keepaliveTime;

  @Option(names = "--keepalive-timeout", paramLabel = "DURATION", defaultValue = "20s",
      converter = DurationOption.class,
      description = "How long a keepalive ping may go unanswered (default ${DEFAULT-VALUE}).")
  Duration keepaliveTimeout;

  @Option(names = "--min-client-keepalive", paramLabel = "DURATION", defaultValue = "20s",
      converter = DurationOption.class,
      description = "Shortest interval at which clients may send keepalive pings; a client that"
          + " pings more often is disconnected (GOAWAY too_many_pings) (default ${DEFAULT-VALUE}).")
  Duration minClientKeepalive;

  @Option(names = "--client-keepalive-without-calls",
      description = "Let clients send keepalive pings on connections with no call open; without"
          + " it such pings count against --min-client-keepalive's enforcement.")
  boolean clientKeepaliveWithoutCalls;

  @Option(names = "--snapshot-every-entries", defaultValue = "200000", hidden = true,
      description = "Snapshot after this many journal entries (tests lower it to exercise snapshots).")
  long snapshotEveryEntries;

  @Option(names = "--snapshot-every-millis", defaultValue = "60000", hidden = true,
      description = "Snapshot after this long if anything was journaled.")
  long snapshotEveryMillis;

  @Option(names = "--inbox", defaultValue = "65536", hidden = true,
      description = "Requests that may wait for the loop before RESOURCE_EXHAUSTED.")
  int inbox;

  public static void main(String[] args) {
    sizeCommonPool(Runtime.getRuntime().availableProcessors());
    System.exit(new CommandLine(new Main()).execute(args));
  }

  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  /**
   * Gives the JDK's common pool at least two threads, unless the operator chose (-D). With fewer
   * (the JDK's default is one less than the cores), CompletableFuture runs each async step it is
   * given without an executor on a thread of its own, started for it and ended after it; Ratis
   * takes such a step for every log entry it writes. Measured on two cores under load (JFR,
   * jdk.ThreadStart): every node of a cluster started ~320 threads a second, none with two. The
   * pool reads its size once, when first used: this runs before anything else.
   */
  static void sizeCommonPool(int cores) {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(2, cores - 1)));
    }
  }

  /** What a start that fails returns: the same as a usage error, since both are the operator's to fix. */
  static final int CANNOT_START = CommandLine.ExitCode.USAGE;
  private static final System.Logger LOG = System.getLogger(Main.class.getName());
  private static final long APPLY_TIMEOUT_SECONDS = 60;

  private InetSocketAddress address;
  private Peers cluster;
  private InetSocketAddress httpAddress;
  private InetSocketAddress metricsAddress;

  @Override
  public Integer call() throws InterruptedException {
    checkOptions();
    Running running;
    try {
      running = start();
    } catch (CannotStart e) {
      LOG.log(Level.DEBUG, "start-up failed: " + e.getMessage(), e.getCause());
      PrintWriter err = spec.commandLine().getErr();
      err.println("admission-server: " + e.getMessage());
      err.flush();
      return CANNOT_START;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "admission-shutdown"));
    if (running.access.enabled()) {
      reloadOnHangUp(running.access);
    }
    running.awaitTermination();
    return 0;
  }

  /** Usage errors, reported by picocli like parsing ones. */
  private void checkOptions() {
    address = parseAddress("--listen", listen);
    httpAddress = http == null ? null : parseAddress("--http", http);
    metricsAddress = metrics == null ? null : parseAddress("--metrics", metrics);
    if (metricsAddress != null && metricsAddress.getPort() == 0) {
      // Prometheus scrapes an address it is told, and the exporter does not say which port the
      // system chose: a server started so would print a URL that does not answer.
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--metrics needs a fixed port for Prometheus to scrape, got " + metrics);
    }
    if (configApply && config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--config-apply needs --config FILE");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--tls-cert and --tls-key go together: give both or neither");
    }
    if (peers != null) {
      if (inMemory) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--peers and --in-memory do not go together: a cluster node keeps its log in --data-dir");
      }
      try {
        cluster = Peers.parse(nodeId, peers);
      } catch (Peers.Invalid e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    } else if (nodeId != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--node-id needs --peers: the cluster's nodes and their Raft addresses");
    }
    checkBound("--groups", groups, 1, RaftGroups.MAX_GROUPS);
    if (groups != 1 && peers == null) {
      // Groups spread orgs over Raft logs; a server alone has one journal and one loop.
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--groups needs --peers: groups spread orgs over a cluster's Raft logs; a server alone"
              + " keeps one journal");
    }
    if (tlsClientCa != null && tlsCert == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--tls-client-ca needs --tls-cert and --tls-key: client certificates are asked for over TLS");
    }
    checkBound("--max-message-bytes", maxMessageBytes, MIN_MESSAGE_BYTES, Integer.MAX_VALUE);
    checkBound("--max-id-bytes", maxIdBytes, 1, IdLengths.API_MAX_BYTES);
    checkBound("--max-orgs", maxOrgs, 1, Integer.MAX_VALUE);
    checkBound("--max-held-calls-per-org", maxHeldCallsPerOrg, 1, Integer.MAX_VALUE);
    checkBound("--max-streams-per-connection", maxStreamsPerConnection, 1, Integer.MAX_VALUE);
  }

  /** The smallest --max-message-bytes that still lets every request of the API through. */
  private static final int MIN_MESSAGE_BYTES = 4096;

  private void checkBound(String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + " must be "
          + (max == Integer.MAX_VALUE ? "at least " + min : "from " + min + " to " + max)
          + ", got " + value);
    }
  }

  /**
   * How far over --max-message-bytes the transport still reads a message, so that the server's
   * own refusal, which names the flag, answers it: gRPC's default inbound limit. Beyond that the
   * transport refuses in its own words without buffering more.
   */
  private static final int TRANSPORT_MARGIN_BYTES = 4 << 20;

  /** The bounds that the transport enforces, on {@code builder}. */
  private void bound(NettyServerBuilder builder) {
    builder
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE,
            (long) maxMessageBytes + TRANSPORT_MARGIN_BYTES))
        .maxConcurrentCallsPerConnection(maxStreamsPerConnection)
        .keepAliveTime(keepaliveTime.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(keepaliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveTime(minClientKeepalive.toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(clientKeepaliveWithoutCalls);
    if (maxIdBytes < IdLengths.API_MAX_BYTES) {
      builder.intercept(new IdBound(maxIdBytes));
    }
  }

  /**
   * The secure default: without {@code --auth} every caller is admin, so the server serves only
   * loopback addresses unless the operator says {@code --insecure}.
   */
  private void checkExposure() throws CannotStart {
    if (auth != null || insecure) {
      return;
    }
    exposed("--listen", listen, address);
    exposed("--http", http, httpAddress);
    exposed("--metrics", metrics, metricsAddress);
  }

  private static void exposed(String option, String hostPort, InetSocketAddress a) throws CannotStart {
    if (a != null && (a.isUnresolved() || !a.getAddress().isLoopbackAddress())) {
      throw new CannotStart(option + " " + hostPort + ": not a loopback address, and without --auth"
          + " anyone who reaches it is admin; give --auth FILE (tokens), or --insecure to serve it"
          + " so anyway", null);
    }
  }

  private AccessControl loadAccess() throws CannotStart {
    if (auth == null) {
      return AccessControl.off();
    }
    try {
      return AccessControl.load(auth);
    } catch (Tokens.Invalid e) {
      throw new CannotStart("--auth " + e.getMessage(), e);
    }
  }

  /** SIGHUP re-reads the --auth file, as daemons re-read their configuration. */
  private static void reloadOnHangUp(AccessControl access) {
    if (!HangUp.onSignal(access::reload)) {
      LOG.log(Level.WARNING, "--auth is read only at start: SIGHUP cannot be handled here");
    }
  }

  /**
   * Starts everything and returns it running, or stops what it started and says why. Whatever can
   * be checked without changing anything is checked first — the whole config file, the ports, the
   * data directory being a directory — so that a start refused for those leaves no trace.
   */
  Running start() throws CannotStart, InterruptedException {
    if (address == null) {
      checkOptions(); // tests call start() without call()
    }
    checkExposure();
    TransportLog.install(); // before any port opens: a bad connection costs one line, not a trace
    AccessControl access = loadAccess();
    ServerTls tls = tlsCert == null ? null : ServerTls.load(tlsCert, tlsKey, tlsClientCa);
    Commands.ApplyConfig setup = loadConfig();
    checkFree("--listen", listen, address);
    checkFree("--http", http, httpAddress);
    checkFree("--metrics", metrics, metricsAddress);
    if (!inMemory && Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new CannotStart("--data-dir " + dataDir + ": is a file, not a directory", null);
    }
    Running running = new Running();
    running.access = access;
    running.tls = tls;
    boolean started = false;
    try {
      boot(running, setup);
      started = true;
      return running;
    } finally {
      if (!started) {
        running.close();
      }
    }
  }

  private void boot(Running running, Commands.ApplyConfig setup)
      throws CannotStart, InterruptedException {
    // Metrics first: a port bound before the data directory is opened.
    running.telemetry = metricsAddress == null
        ? Telemetry.off()
        : bind("--metrics", metrics, () -> Telemetry.prometheus(metricsAddress));
    State state = openState(running);
    // After recovery: a replay runs unbounded (see Engine.Bounds). Each group holds its share.
    Engine.Bounds bounds = Loops.share(new Engine.Bounds(maxOrgs, maxHeldCallsPerOrg), state.engines().size());
    state.engines().forEach(e -> e.bound(bounds));
    List<Commands.ApplyConfig> apply = configToApply(setup, state);
    running.audit = openAudit();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    bound(builder);
    if (running.tls != null) {
      builder.sslContext(running.tls.grpc());
    }
    // Without --auth the interceptor is still needed with client certificates: it names the actor.
    AccessControl access = running.access.enabled() || tlsClientCa != null ? running.access : null;
    Loops loops = startLoops(running, state.engines(), builder);
    ClusterView view;
    if (running.replicas == null) {
      if (apply != null) {
        apply(loops, apply); // before the port opens: no client sees the state without it
      }
      view = ClusterView.alone("local", listen);
    } else {
      RaftGroups replicas = running.replicas;
      view = new ClusterView() {
        @Override
        public GetClusterStatusResponse status() {
          return replicas.status();
        }

        @Override
        public String unavailable() {
          return replicas.unavailable();
        }
      };
      if (apply != null) {
        applyOnceServing(loops, replicas, apply, state.empty());
      }
    }
    running.sessions = new BoundSessions(loops, Clock.systemUTC(), sessionGrace);
    running.sessions.start();
    Server server = running.telemetry
        .instrument(AdmissionServices.addTo(builder, loops, running.health, running.audit, access,
            running.sessions, view, maxMessageBytes))
        .directExecutor() // handlers only translate and enqueue: no hand-off to an executor per call
        .build();
    running.server = bind("--listen", listen, server::start);
    setServing(running);
    if (httpAddress != null) {
      running.web = bind("--http", http, () -> WebServer.start(httpAddress, loops, view, running.access,
          running.tls == null ? null : new WebServer.Tls(running.tls.web(), running.tls.clientCertificates()),
          new WebServer.Bounds(maxMessageBytes, maxIdBytes)));
    }
    announce(running);
  }

  /** The engines to start from, one per group, and whether they hold nothing yet (a config may seed them). */
  private record State(List<Engine> engines, boolean empty) {}

  /**
   * Health: every service SERVING while this node serves (alone, or in a majority with a leader in
   * every group) and no loop has stopped applying, and {@link AdmissionServices#LEADER} SERVING only
   * while it also leads — a node that stopped applying answers no write, so clients that follow the
   * leader's name must go elsewhere. Called from every group's checks and when a loop stops: one at
   * a time, so that the last call's state is the one reported.
   */
  private static void setServing(Running running) {
    RaftGroups replicas = running.replicas;
    HealthStatusManager health = running.health;
    synchronized (health) {
      boolean serving = !running.halted && (replicas == null || replicas.serving());
      boolean leading = replicas == null || replicas.leading();
      ServingStatus status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      health.setStatus("", status);
      for (String name : AdmissionServices.NAMES) {
        health.setStatus(name, status);
      }
      health.setStatus(AdmissionServices.LEADER,
          serving && leading ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
  }

  private State openState(Running running) throws CannotStart {
    if (cluster != null) {
      return openReplica(running);
    }
    if (inMemory) {
      running.log = CommandLog.NONE;
      // Secret, so that clients cannot choose call_ids that collide in the ended-call index (the
      // journal makes its own when it recovers an engine).
      return new State(List.of(new Engine(IdHashKey.from(new SecureRandom()))), true);
    }
    Journal journal = openJournal();
    running.log = journal;
    Engine engine = journal.engine();
    // Nothing ever journaled and no org: a data directory that a config may seed.
    return new State(List.of(engine), journal.nextEntry() == 0 && engine.orgCount() == 0);
  }

  /** This node's replicas of the cluster's groups: its Raft server recovers what each holds. */
  private State openReplica(Running running) throws CannotStart {
    Path raft = dataDir.resolve("raft");
    boolean fresh = !Files.exists(raft);
    checkFree("--peers", cluster.addresses().get(cluster.self()), parseAddress("--peers",
        cluster.addresses().get(cluster.self())));
    Engine.Bounds bounds = Loops.share(new Engine.Bounds(maxOrgs, maxHeldCallsPerOrg), groups);
    try {
      running.replicas = RaftGroups.start(cluster, dataDir,
          new RaftReplica.Options(snapshotEveryEntries, bounds), Clock.systemUTC(), groups);
    } catch (RaftGroups.Mismatch e) {
      throw new CannotStart("--groups " + groups + ": --data-dir " + dataDir + " " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw CannotStart.file("--data-dir", dataDir, e instanceof IOException io ? io
          : new IOException(e.getMessage(), e));
    }
    running.log = CommandLog.NONE;
    List<Engine> engines = new ArrayList<>();
    running.replicas.replicas().forEach(r -> engines.add(r.engine()));
    return new State(engines, fresh);
  }

  /**
   * In a cluster the config goes through the log once this node can write: a fresh cluster is
   * seeded by its first node of --peers only (the others would apply the same file again), and
   * only if no org exists by then; --config-apply applies it from whichever node is given it.
   */
  private void applyOnceServing(Loops loops, RaftGroups replicas, List<Commands.ApplyConfig> parts,
      boolean fresh) {
    if (!configApply && !(fresh && cluster.isSeed())) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("admission: --config left to node " + cluster.seed()
          + " (the first of --peers), which seeds a new cluster; pass --config-apply to apply it"
          + " from this node");
      out.flush();
      return;
    }
    Thread t = new Thread(() -> {
      try {
        // Group by group, each once it has a leader here: on a busy machine the groups' elections
        // need not all settle at the same moment.
        for (int g = 0; g < parts.size() && !configApply; g++) {
          if (orgCount(loops.group(g), replicas.group(g)) > 0) {
            return; // another start seeded it already
          }
        }
        List<String> orgIds = new ArrayList<>();
        for (int g = 0; g < parts.size(); g++) {
          if (!parts.get(g).orgs().isEmpty()) {
            orgIds.addAll(applyWhenServing(loops.group(g), replicas.group(g), parts.get(g)));
          }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("admission: --config " + config + " applied: " + orgIds.size() + " orgs " + orgIds);
        out.flush();
      } catch (CannotStart e) {
        LOG.log(Level.ERROR, "admission-server: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(Level.ERROR, "--config " + config + ": not applied: " + e);
      }
    }, "admission-config");
    t.setDaemon(true);
    t.start();
  }

  /** The orgs a group holds, read once its replica here serves. */
  private static int orgCount(EventLoop loop, RaftReplica replica)
      throws InterruptedException, ExecutionException, TimeoutException {
    while (replica.unavailable() != null) {
      Thread.sleep(100);
    }
    CompletableFuture<Integer> orgs = new CompletableFuture<>();
    loop.readNow((engine, now) -> engine.orgCount(), Reply.into(orgs));
    return orgs.get(APPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * A group's part of the config through its log once the group serves here; sent again while the
   * group cannot commit it (an election under way), at most {@link #APPLY_TIMEOUT_SECONDS}. Sent
   * again it changes nothing more: it sets the same values.
   */
  private List<String> applyWhenServing(EventLoop loop, RaftReplica replica, Commands.ApplyConfig part)
      throws CannotStart, InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(APPLY_TIMEOUT_SECONDS);
    while (true) {
      orgCount(loop, replica); // waits until the group serves
      try {
        return apply(loop, part);
      } catch (CannotStart e) {
        if (!(e.getCause() instanceof NotHere) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * The loops with their observers, one per engine (group), each running on an I/O thread of the
   * gRPC transport: the one thread there is with one group.
   */
  private Loops startLoops(Running running, List<Engine> engines, NettyServerBuilder builder) {
    AdmissionMetrics admissionMetrics = new AdmissionMetrics(running.telemetry.openTelemetry());
    HealthStatusManager health = new HealthStatusManager();
    running.health = health;
    health.setStatus("", ServingStatus.NOT_SERVING);
    running.transport = new Transport(engines.size());
    running.transport.configure(builder);
    for (int g = 0; g < engines.size(); g++) {
      Engine engine = engines.get(g);
      // Orgs are in one group each, so the per-org values are moved by one loop thread each.
      admissionMetrics.seed(engine, Clock.systemUTC().millis());
      EventLoop loop = running.replicas == null
          ? new EventLoop(engine, running.log, Clock.systemUTC(), inbox)
          : new EventLoop(engine, running.replicas.group(g), Clock.systemUTC(), inbox);
      running.loops.add(loop);
      loop.observe(running.audit.recorder());
      loop.observe(admissionMetrics);
      RaftGroups replicas = running.replicas;
      loop.onLogFailure(() -> {
        running.halted = true;
        setServing(running);
        if (replicas != null) {
          replicas.yieldLeadership(); // a leader that answers nothing would still draw every call
        }
      });
    }
    if (running.log instanceof Journal journal) {
      admissionMetrics.snapshotFailures(journal::snapshotFailures);
    }
    if (running.replicas != null) {
      RaftGroups replicas = running.replicas;
      for (int g = 0; g < engines.size(); g++) {
        RaftReplica replica = replicas.group(g);
        EventLoop loop = running.loops.get(g);
        replica.onServing(serving -> {
          // Health says whether every group can serve here: a balancer that sends a node all
          // orgs' requests should not send them to a node that refuses some.
          setServing(running);
          if (!serving) {
            // Streams from a replica that may fall behind would go quiet without saying so: end
            // them, and their clients reopen on a node that has a quorum.
            loop.closeStreams("this node lost contact with the cluster's majority; reopen the stream"
                + " on another node");
          }
        });
        replica.onLeading(() -> setServing(running));
        loop.observe(admissionMetrics.commitsOf(g));
        replica.attach(loop);
      }
      admissionMetrics.clusterNode(replicas::statusByGroup);
    }
    for (EventLoop loop : running.loops) {
      loop.startOn(running.transport.ioThread());
    }
    return Loops.of(running.loops);
  }

  private void announce(Running running) {
    PrintWriter out = spec.commandLine().getOut();
    if (running.web != null) {
      out.println("admission: web page at " + (running.tls == null ? "http" : "https") + "://"
          + http.substring(0, http.lastIndexOf(':'))
          + ":" + running.web.address().getPort() + "/");
    }
    if (running.telemetry.enabled()) {
      out.println("admission: metrics at http://" + metrics + "/metrics");
    }
    if (running.access.enabled()) {
      out.println("admission: --auth " + auth + ": callers need a token");
    }
    if (running.tls != null) {
      out.println("admission: TLS on gRPC" + (running.web == null ? "" : " and the web page")
          + (running.tls.clientCertificates() ? "; client certificates required" : ""));
    }
    if (cluster != null) {
      out.println("admission: cluster node " + cluster.self() + " of " + String.join(",", cluster.ids())
          + "; Raft on " + cluster.addresses().get(cluster.self()));
    }
    // Last, and alone on its line: scripts and tests read the port from it.
    out.println("admission: listening on " + address.getHostString() + ":" + running.port());
    out.flush();
  }

  // ---- The config file --------------------------------------------------------------------

  private Commands.ApplyConfig loadConfig() throws CannotStart {
    if (config == null) {
      return null;
    }
    try {
      return ConfigFile.load(config);
    } catch (ConfigFile.Invalid e) {
      throw new CannotStart("--config " + config + ": " + e.getMessage(), e);
    }
  }

  /**
   * The config seeds an empty data directory; over existing state it would undo whatever was
   * changed since, so it is applied only when asked for. Checked against that state here, before
   * the loop starts, so that a refused file never reaches the journal.
   */
  private List<Commands.ApplyConfig> configToApply(Commands.ApplyConfig setup, State state)
      throws CannotStart {
    if (setup == null) {
      return null;
    }
    if (!state.empty() && !configApply) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("admission: --config ignored: --data-dir " + dataDir
          + " already holds state; pass --config-apply to apply it over that state");
      out.flush();
      return null;
    }
    List<Commands.ApplyConfig> parts = Loops.split(setup, state.engines().size());
    for (int g = 0; g < parts.size(); g++) {
      Rejection refusal = parts.get(g).orgs().isEmpty() ? null
          : state.engines().get(g).configRefusal(parts.get(g));
      if (refusal != null) {
        throw refused(refusal);
      }
    }
    return parts;
  }

  private CannotStart refused(Rejection r) {
    return new CannotStart("--config " + config + ": " + r.field() + ": " + Refusals.text(r)
        + " (refused over the state in --data-dir " + dataDir + "; nothing was changed)", null);
  }

  /**
   * Each group's part through its loop, as one command per group, and waits until each is
   * durable. One group's part is all or nothing; across groups the parts are applied one after
   * the other, each checked before any was applied (a part refused after another was applied
   * can only come from a change made in between, on a cluster).
   */
  private void apply(Loops loops, List<Commands.ApplyConfig> parts) throws CannotStart, InterruptedException {
    List<String> orgIds = new ArrayList<>();
    for (int g = 0; g < parts.size(); g++) {
      if (!parts.get(g).orgs().isEmpty()) {
        orgIds.addAll(apply(loops.group(g), parts.get(g)));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("admission: --config " + config + " applied: " + orgIds.size() + " orgs "
        + orgIds);
    out.flush();
  }

  /** Through the loop, as one command, and waits until it is durable: the orgs it applied. */
  private List<String> apply(EventLoop loop, Commands.ApplyConfig setup) throws CannotStart, InterruptedException {
    CompletableFuture<Results.AdminResult> done = new CompletableFuture<>();
    if (!loop.submit(setup, Reply.into(done))) {
      throw new CannotStart("--config " + config + ": not applied: the loop's inbox is full", null);
    }
    Results.AdminResult result;
    try {
      result = done.get(APPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new CannotStart("--config " + config + ": not applied: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new CannotStart("--config " + config + ": not applied within " + APPLY_TIMEOUT_SECONDS + " s", e);
    }
    if (result instanceof Rejection r) {
      throw refused(r);
    }
    return ((Results.ConfigApplied) result).orgs().stream().map(v -> v.config().orgId()).toList();
  }

  // ---- Ports and directories --------------------------------------------------------------

  /** Something that binds a port. */
  private interface Binding<T> {
    T bind() throws IOException;
  }

  private static <T> T bind(String option, String hostPort, Binding<T> binding) throws CannotStart {
    try {
      return binding.bind();
    } catch (IOException | UncheckedIOException e) {
      throw CannotStart.binding(option, hostPort, e);
    }
  }

  /**
   * Binds a fixed port and lets it go again, so that a port in use stops the start before the data
   * directory is opened. Another process may still take it before the server binds it; that is
   * reported the same way, only later.
   */
  private static void checkFree(String option, String hostPort, InetSocketAddress address)
      throws CannotStart {
    if (address == null || address.getPort() == 0) {
      return;
    }
    bind(option, hostPort, () -> {
      try (ServerSocket probe = new ServerSocket()) {
        probe.bind(address);
      }
      return null;
    });
  }

  private Journal openJournal() throws CannotStart {
    long started = System.nanoTime();
    Journal journal;
    try {
      journal = Journal.open(dataDir, new Journal.Options(
          Journal.Options.DEFAULT.segmentBytes(), snapshotEveryEntries, snapshotEveryMillis));
    } catch (IOException e) {
      throw CannotStart.file("--data-dir", dataDir, e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("admission: recovered %s in %d ms (journal at entry %d)%n", dataDir,
        (System.nanoTime() - started) / 1_000_000, journal.nextEntry());
    out.flush();
    return journal;
  }

  /** The audit log: in <data-dir>/audit, or a bounded ring with --in-memory. */
  private AuditLog openAudit() throws CannotStart {
    AuditLog.Options options = AuditLog.Options.DEFAULT.withRetention(auditRetention);
    if (inMemory) {
      return AuditLog.inMemory(options, Clock.systemUTC());
    }
    try {
      return AuditLog.open(dataDir.resolve("audit"), options, Clock.systemUTC());
    } catch (IOException e) {
      throw CannotStart.file("--data-dir", dataDir, e);
    }
  }

  /** {@code HOST:PORT} (HOST may be a bracketed IPv6 address); a usage error names the option. */
  private InetSocketAddress parseAddress(String option, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be HOST:PORT, got " + hostPort);
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65_535) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be HOST:PORT with a port from 0 to 65535, got " + hostPort);
    }
    return new InetSocketAddress(host, port);
  }

  /** {@code --version}: the build's version, written into version.properties by Maven. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      java.util.Properties build = new java.util.Properties();
      try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          build.load(in);
        }
      }
      return new String[] {"admission-server " + build.getProperty("version", "unknown")};
    }
  }
}
