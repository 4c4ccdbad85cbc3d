package io.admission.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub;
import io.admission.v1.AdmissionMonitorServiceGrpc.AdmissionMonitorServiceStub;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceBlockingStub;
import io.admission.v1.CallType;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.client.BearerToken;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.admission.client.Servers;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The operators' command-line client. Each command makes one call (acquire --wait and watch: one
 * call and a stream) and prints each result as one line of JSON in the proto JSON mapping, fields
 * at their default values included, so that scripts can parse it — or, with {@code --output
 * table}, as aligned rows for people.
 *
 * <p>Threads: commands run on the calling thread; {@code acquire --wait} prints held updates from
 * gRPC's callback thread while the calling thread waits; {@code watch} takes each update from
 * gRPC's callback thread and prints it on the calling thread.
 */
@Command(
    name = "admission-cli",
    description = "Talks to an Admission server over plaintext gRPC. Prints one JSON object per "
        + "result; a gRPC error prints its code and description to stderr.",
    versionProvider = VersionProvider.class,
    subcommands = {AcquireCommand.class, EventsCommand.class, OrgCommand.class,
        OrgCommand.PutOrg.class, OrgCommand.GetOrg.class, OrgCommand.ListOrgs.class,
        LimitsCommand.class, WatchCommand.class, CompletionCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:success",
        "1:the server answered with a gRPC error",
        "2:bad command line",
        "3:acquire: the call was denied, or its wait expired or was cancelled"})
public final class AdmissionCli {
  static final int GRPC_ERROR = 1;
  static final int NOT_ADMITTED = 3;
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace().alwaysPrintFieldsWithNoPresence();

  @Spec
  private CommandSpec spec;

  @Option(names = "--server", defaultValue = "127.0.0.1:50051", scope = ScopeType.INHERIT,
      paramLabel = "HOST:PORT[,HOST:PORT...]", description = "The server, plaintext unless --tls-ca is"
          + " given (default: ${DEFAULT-VALUE}); for a cluster, several nodes: calls go to those that"
          + " answer and move to another when one is refused UNAVAILABLE or goes away.")
  private String server;

  @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
      defaultValue = "${env:ADMISSION_TOKEN}",
      description = "Bearer token for a server started with --auth (default: the environment"
          + " variable ADMISSION_TOKEN; prefer it, a command line is visible to other users).")
  private String token;

  @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "Connect with TLS, trusting the server's certificate if this PEM CA signed it"
          + " (a private CA); without it the connection is plaintext.")
  private java.nio.file.Path tlsCa;

  @Option(names = "--tls-cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "With --tls-key: present this PEM client certificate, for a server started with"
          + " --tls-client-ca (mutual TLS); needs --tls-ca.")
  private java.nio.file.Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "The PEM private key (unencrypted PKCS#8) of --tls-cert.")
  private java.nio.file.Path tlsKey;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      scope = ScopeType.INHERIT, converter = DurationConverter.class,
      description = "Deadline of each call, not of acquire's --wait; for watch, how long it goes on"
          + " reopening its stream while no node answers (default: ${DEFAULT-VALUE}).")
  private Duration timeout;

  @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT,
      description = "Show this help and exit.")
  private boolean help;

  @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
  private boolean version;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "json",
      scope = ScopeType.INHERIT, description = "json: one JSON object per result, for scripts; "
          + "table: aligned rows for people (default: ${DEFAULT-VALUE}).")
  private Output output;

  /** How results are printed. */
  enum Output { json, table }

  private final Channel givenChannel;
  private ManagedChannel ownChannel;

  /** A command-line client that connects to {@code --server}. */
  public AdmissionCli() {
    this.givenChannel = null;
  }

  /** A command-line client on {@code channel} (e.g. in-process in tests); ignores --server. */
  public AdmissionCli(Channel channel) {
    this.givenChannel = channel;
  }

  public static void main(String[] args) {
    AdmissionCli cli = new AdmissionCli();
    int status;
    try {
      status = cli.commandLine().execute(args);
    } finally {
      cli.shutdown();
    }
    System.exit(status);
  }

  /** The command line to execute, with gRPC errors mapped to stderr and exit status 1. */
  public CommandLine commandLine() {
    return new CommandLine(this).setExecutionExceptionHandler(AdmissionCli::grpcError);
  }

  /** Shuts down the channel this client opened, if any; a given channel is left alone. */
  public void shutdown() {
    if (ownChannel != null) {
      ownChannel.shutdownNow();
      try {
        ownChannel.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Command(name = "reserve", description = "Reserves slots for one agent and call type "
      + "(0 removes the reservation).")
  int reserve(
      @Option(names = "--org", paramLabel = "ORG", required = true) String orgId,
      @Option(names = "--agent", paramLabel = "AGENT", required = true) String agentId,
      @Option(names = "--type", paramLabel = "TYPE", required = true,
          converter = CallTypeConverter.class, description = "webcall, chat, outbound or inbound.")
          CallType callType,
      @Option(names = "--slots", paramLabel = "N", required = true,
          converter = CountConverter.class) int slots) {
    return print(admin().setReservation(SetReservationRequest.newBuilder()
        .setOrgId(orgId)
        .setAgentId(agentId)
        .setCallType(callType)
        .setSlots(slots)
        .build()));
  }

  @Command(name = "remove-agent",
      description = "Returns all of an agent's reserved slots to the shared pool.")
  int removeAgent(
      @Option(names = "--org", paramLabel = "ORG", required = true) String orgId,
      @Option(names = "--agent", paramLabel = "AGENT", required = true) String agentId) {
    return print(admin().removeAgent(
        RemoveAgentRequest.newBuilder().setOrgId(orgId).setAgentId(agentId).build()));
  }

  @Command(name = "release",
      description = "Ends a call: frees a granted call's slot or cancels a held call.")
  int release(
      @Option(names = "--org", paramLabel = "ORG", required = true) String orgId,
      @Option(names = "--call", paramLabel = "CALL", required = true) String callId) {
    return print(admission().release(
        ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId).build()));
  }

  @Command(name = "renew", description = "Extends the leases of calls of one org.")
  int renew(
      @Option(names = "--org", paramLabel = "ORG", required = true) String orgId,
      @Option(names = "--call", paramLabel = "CALL", required = true,
          description = "A call id; repeat for several.") List<String> callIds,
      @Option(names = "--lease-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
          description = "New TTL from now (default: each lease's own).") Duration leaseTtl) {
    RenewRequest.Builder request = RenewRequest.newBuilder().setOrgId(orgId).addAllCallIds(callIds);
    if (leaseTtl != null) {
      request.setLeaseTtl(DurationConverter.toProto(leaseTtl));
    }
    return print(admission().renew(request.build()));
  }

  @Command(name = "status", description = "Shows an org's live pool, agents, logins and daily cap.")
  int status(@Option(names = "--org", paramLabel = "ORG", required = true) String orgId) {
    return print(monitor().getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(orgId).build()));
  }

  @Command(name = "cluster",
      description = "Shows the cluster's nodes and which one leads, as the node that answers sees"
          + " them (a server without --peers reports itself alone).")
  int cluster() {
    return print(monitor().getClusterStatus(GetClusterStatusRequest.getDefaultInstance()));
  }

  /** Prints one result as --output asks (one line of JSON, or a table); returns exit status 0. */
  int print(MessageOrBuilder message) {
    if (output == Output.table) {
      out().println(Table.render(message));
      out().flush();
      return 0;
    }
    return printJson(message);
  }

  /** Prints one result as one line of JSON, whatever --output says; returns exit status 0. */
  int printJson(MessageOrBuilder message) {
    try {
      out().println(JSON.print(message));
      out().flush();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
    return 0;
  }

  Output output() {
    return output;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  synchronized Channel channel() {
    if (givenChannel != null) {
      return givenChannel;
    }
    if (ownChannel == null) {
      ownChannel = Servers.channelToEveryNode(server, credentials()).build();
    }
    return ownChannel;
  }

  /**
   * Plaintext or TLS (--tls-ca), with a client certificate (--tls-cert, --tls-key) if one is
   * given, carrying the token (--token, ADMISSION_TOKEN) if there is one.
   */
  private ChannelCredentials credentials() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--tls-cert and --tls-key go together: the certificate and its private key");
    }
    if (tlsCert != null && tlsCa == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--tls-cert needs --tls-ca: a client certificate is presented over TLS");
    }
    ChannelCredentials channel;
    if (tlsCa == null) {
      channel = InsecureChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      try {
        tls.trustManager(tlsCa.toFile());
      } catch (java.io.IOException | IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--tls-ca " + tlsCa + ": " + e.getMessage());
      }
      if (tlsCert != null) {
        try {
          tls.keyManager(tlsCert.toFile(), tlsKey.toFile());
        } catch (java.io.IOException | IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              "--tls-cert " + tlsCert + " / --tls-key " + tlsKey + ": " + e.getMessage());
        }
      }
      channel = tls.build();
    }
    return token == null || token.isBlank()
        ? channel : CompositeChannelCredentials.create(channel, new BearerToken(token));
  }

  AdmissionServiceBlockingStub admission() {
    return AdmissionServiceGrpc.newBlockingStub(channel())
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  AdmissionAdminServiceBlockingStub admin() {
    return AdmissionAdminServiceGrpc.newBlockingStub(channel())
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  AdmissionMonitorServiceBlockingStub monitor() {
    return AdmissionMonitorServiceGrpc.newBlockingStub(channel())
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * For streams that follow an org for as long as the operator wants: no deadline, and each call
   * goes to the next node of --server that answers (the channel's round robin), so that a stream
   * reopened after its node went away lands on another.
   */
  AdmissionMonitorServiceStub monitorStreams() {
    return AdmissionMonitorServiceGrpc.newStub(channel());
  }

  /** --timeout: the deadline of each call. */
  Duration timeout() {
    return timeout;
  }

  private static int grpcError(Exception e, CommandLine commandLine, ParseResult parsed)
      throws Exception {
    if (!(e instanceof StatusRuntimeException error)) {
      throw e;
    }
    commandLine.getErr().println(describe(error.getStatus()));
    commandLine.getErr().flush();
    return GRPC_ERROR;
  }

  /** A gRPC status on one line: its code, its description and what caused it, if known. */
  static String describe(Status status) {
    StringBuilder line = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      line.append(": ").append(status.getDescription());
    }
    if (status.getCause() != null && status.getCause().getMessage() != null) {
      line.append(" (").append(status.getCause().getMessage()).append(')');
    }
    return line.toString();
  }
}
