package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.assertCode;
import static io.admission.server.grpc.GrpcFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.FieldMask;
import io.admission.server.auth.AccessControl;
import io.admission.server.auth.Tokens;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.CallType;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.LoginLimits;
import io.admission.v1.NumberLimits;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access control over the in-process transport with real tokens: every role against every kind
 * of RPC, and above all one org's token aimed at another org — each such request refused, with
 * the same words whether the other org and call exist or not, and nothing changed there.
 */
class AccessGrpcTest {
  private static final String ADMIN = "admin-secret-1";
  private static final String ACME = "acme-switch-secret";
  private static final String BETA = "beta-switch-secret";
  private static final String ACME_WALL = "acme-wallboard-secret";
  private static final String NOC = "noc-secret";

  @TempDir Path tmp;
  private Path file;
  private AccessControl access;
  private GrpcFixture f;

  private GrpcFixture start() throws IOException, Tokens.Invalid {
    file = tmp.resolve("tokens");
    Files.writeString(file, String.join("\n",
        "# who may call this server",
        line(ADMIN, "admin", "ops on call"),
        line(ACME, "org:acme", "acme-switch"),
        "",
        line(BETA, "org:beta", "beta-switch"),
        line(ACME_WALL, "monitor:acme", "acme wallboard"),
        line(NOC, "monitor:*") + "   # no label: named by its hash",
        ""));
    access = AccessControl.load(file);
    f = new GrpcFixture(access);
    // acme and beta, each with one granted call and one held behind it.
    for (String org : List.of("acme", "beta")) {
      f.await(admin(ADMIN).putOrg(PutOrgRequest.newBuilder()
          .setOrg(Org.newBuilder().setOrgId(org).setConcurrencyLimit(1)).build()));
      assertEquals(Outcome.OUTCOME_GRANTED, f.await(calls(ADMIN).acquire(call(org, org + "-1").build())).getOutcome());
      assertEquals(Outcome.OUTCOME_HELD, f.await(calls(ADMIN).acquire(call(org, org + "-2").build())).getOutcome());
    }
    return f;
  }

  @AfterEach
  void close() {
    if (f != null) {
      f.close();
    }
  }

  static String line(String token, String role, String... label) {
    return sha256(token) + " " + role + (label.length == 0 ? "" : " " + label[0]);
  }

  static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  // ---- Stubs that carry a token -----------------------------------------------------------

  private Channel as(String token) {
    if (token == null) {
      return f.channel;
    }
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return ClientInterceptors.intercept(f.channel, MetadataUtils.newAttachHeadersInterceptor(m));
  }

  private AdmissionServiceGrpc.AdmissionServiceFutureStub calls(String token) {
    return AdmissionServiceGrpc.newFutureStub(as(token));
  }

  private AdmissionAdminServiceGrpc.AdmissionAdminServiceFutureStub admin(String token) {
    return AdmissionAdminServiceGrpc.newFutureStub(as(token));
  }

  private AdmissionMonitorServiceGrpc.AdmissionMonitorServiceFutureStub monitor(String token) {
    return AdmissionMonitorServiceGrpc.newFutureStub(as(token));
  }

  // ---- Every RPC aimed at an org, as a function of the target org and call -----------------

  /** Each RPC a token could aim at {@code org}/{@code callId}; the value is how it ended. */
  private Map<String, Function<String[], Status>> everyRpc(String token) {
    Map<String, Function<String[], Status>> rpcs = new LinkedHashMap<>();
    rpcs.put("Acquire", t -> unary(calls(token).acquire(call(t[0], t[1]).build())));
    rpcs.put("Release", t -> unary(calls(token).release(
        ReleaseRequest.newBuilder().setOrgId(t[0]).setCallId(t[1]).build())));
    rpcs.put("Renew", t -> unary(calls(token).renew(
        RenewRequest.newBuilder().setOrgId(t[0]).addCallIds(t[1]).build())));
    rpcs.put("WaitForSlot", t -> this.<WaitForSlotResponse>stream(o -> AdmissionServiceGrpc.newStub(as(token)).waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId(t[0]).setCallId(t[1]).build(), o)));
    rpcs.put("Session acquire", t -> session(token, SessionRequest.newBuilder().setId(1)
        .setAcquire(call(t[0], t[1]))));
    rpcs.put("Session release", t -> session(token, SessionRequest.newBuilder().setId(1)
        .setRelease(ReleaseRequest.newBuilder().setOrgId(t[0]).setCallId(t[1]))));
    rpcs.put("Session renew", t -> session(token, SessionRequest.newBuilder().setId(1)
        .setRenew(RenewRequest.newBuilder().setOrgId(t[0]).addCallIds(t[1]))));
    rpcs.put("GetOrg", t -> unary(admin(token).getOrg(GetOrgRequest.newBuilder().setOrgId(t[0]).build())));
    rpcs.put("GetOrgStatus", t -> unary(monitor(token).getOrgStatus(
        GetOrgStatusRequest.newBuilder().setOrgId(t[0]).build())));
    rpcs.put("WatchOrg", t -> this.<WatchOrgResponse>stream(o -> AdmissionMonitorServiceGrpc.newStub(as(token)).watchOrg(
        WatchOrgRequest.newBuilder().setOrgId(t[0]).build(), o)));
    rpcs.put("ListEvents", t -> unary(monitor(token).listEvents(
        ListEventsRequest.newBuilder().setOrgId(t[0]).build())));
    rpcs.put("PutOrg", t -> unary(admin(token).putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId(t[0]).setConcurrencyLimit(50)).build())));
    rpcs.put("UpdateOrg", t -> unary(admin(token).updateOrg(UpdateOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId(t[0]).setConcurrencyLimit(50))
        .setUpdateMask(FieldMask.newBuilder().addPaths("concurrency_limit")).build())));
    rpcs.put("DeleteOrg", t -> unary(admin(token).deleteOrg(DeleteOrgRequest.newBuilder().setOrgId(t[0]).build())));
    rpcs.put("SetReservation", t -> unary(admin(token).setReservation(SetReservationRequest.newBuilder()
        .setOrgId(t[0]).setAgentId("agent-7").setCallType(CallType.CALL_TYPE_CHAT).setSlots(1).build())));
    rpcs.put("RemoveAgent", t -> unary(admin(token).removeAgent(
        RemoveAgentRequest.newBuilder().setOrgId(t[0]).setAgentId("agent-7").build())));
    rpcs.put("SetLoginLimits", t -> unary(admin(token).setLoginLimits(SetLoginLimitsRequest.newBuilder()
        .setOrgId(t[0]).setLoginId("alice").setLimits(LoginLimits.newBuilder().setMaxConcurrent(9)).build())));
    rpcs.put("SetNumberLimits", t -> unary(admin(token).setNumberLimits(SetNumberLimitsRequest.newBuilder()
        .setOrgId(t[0]).setNumber("+15550100").setLimits(NumberLimits.newBuilder().setMaxPerDay(9)).build())));
    rpcs.put("ListOrgs", t -> unary(admin(token).listOrgs(ListOrgsRequest.getDefaultInstance())));
    return rpcs;
  }

  private Status unary(Future<?> answer) {
    try {
      f.await(answer);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  /** Opens a server stream; OK once it delivered a first message, else the status it ended with. */
  private <T> Status stream(java.util.function.Consumer<StreamObserver<T>> open) {
    GrpcFixture.Recording<Object, T> r = new GrpcFixture.Recording<Object, T>() {};
    open.accept(r);
    f.stepUntil(() -> !r.received().isEmpty() || r.done.isDone(), "a first message or the end");
    if (!r.received().isEmpty()) {
      r.call.cancel("enough", null);
      return Status.OK;
    }
    return ended(r);
  }

  /** Sends one request on a new Session; OK once it is answered, else the status the stream ended with. */
  private Status session(String token, SessionRequest.Builder request) {
    GrpcFixture.Recording<SessionRequest, SessionResponse> r = new GrpcFixture.Recording<>() {};
    AdmissionServiceGrpc.newStub(as(token)).session(r);
    r.call.onNext(request.build());
    f.stepUntil(() -> !r.received().isEmpty() || r.done.isDone(), "an answer or the end");
    if (!r.received().isEmpty()) {
      r.call.onCompleted();
      SessionResponse answer = r.received().get(0);
      return answer.hasError() ? Status.fromCodeValue(Status.Code.valueOf(answer.getError().getCode()).value())
          : Status.OK;
    }
    return ended(r);
  }

  private static Status ended(GrpcFixture.Recording<?, ?> r) {
    try {
      r.done.join();
      return Status.OK;
    } catch (CompletionException e) {
      return assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus();
    }
  }

  // ---- Cross-tenant -----------------------------------------------------------------------

  @Test
  void anOrgTokenAimedAtAnotherOrgIsRefusedEveryTimeWithTheSameWords() throws Exception {
    start();
    String[][] targets = {
        {"beta", "beta-1"},   // the other org's granted call
        {"beta", "beta-2"},   // its held call
        {"beta", "no-such-call"},
        {"no-such-org", "beta-1"},
        {"", "beta-1"},
    };
    int attempts = 0;
    List<String> notRefused = new ArrayList<>();
    Set<String> descriptions = new TreeSet<>();
    for (var rpc : everyRpc(ACME).entrySet()) {
      for (String[] target : targets) {
        Status s = rpc.getValue().apply(target);
        attempts++;
        if (s.getCode() != Status.Code.PERMISSION_DENIED) {
          notRefused.add(rpc.getKey() + " " + String.join("/", target) + ": " + s);
        }
        descriptions.add(String.valueOf(s.getDescription()));
      }
    }
    assertEquals(List.of(), notRefused, "refused " + (attempts - notRefused.size()) + " of " + attempts);
    assertEquals(Set.of(AccessControl.PERMISSION_DENIED), descriptions,
        "one description for every refusal, whether the org or call exists or not");

    // Nothing changed in beta: its call still holds the slot, the other still waits.
    var beta = f.await(monitor(ADMIN).getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId("beta").build()))
        .getStatus();
    assertEquals(1, beta.getInUse());
    assertEquals(1, beta.getQueued());
    assertEquals(1, beta.getLimit());
  }

  @Test
  void theSameRequestsWithTheRightOrgGetThrough() throws Exception {
    start();
    // The same table with acme's token at acme: refused only where the role, not the org, says so.
    Set<String> adminOnly = Set.of("PutOrg", "UpdateOrg", "DeleteOrg", "SetReservation",
        "RemoveAgent", "SetLoginLimits", "SetNumberLimits", "ListOrgs");
    for (var rpc : everyRpc(ACME).entrySet()) {
      Status s = rpc.getValue().apply(new String[] {"acme", "acme-1"});
      if (adminOnly.contains(rpc.getKey())) {
        assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), rpc.getKey());
      } else {
        assertTrue(s.getCode() != Status.Code.PERMISSION_DENIED && s.getCode() != Status.Code.UNAUTHENTICATED,
            rpc.getKey() + ": " + s);
      }
    }
  }

  @Test
  void aSessionThatNamesAnotherOrgMidStreamIsEndedAndItsOwnRequestsWereAnswered() throws Exception {
    start();
    GrpcFixture.Recording<SessionRequest, SessionResponse> r = new GrpcFixture.Recording<>() {};
    AdmissionServiceGrpc.newStub(as(ACME)).session(r);
    r.call.onNext(SessionRequest.newBuilder().setId(1).setRelease(
        ReleaseRequest.newBuilder().setOrgId("acme").setCallId("acme-1")).build());
    f.stepUntil(() -> r.received().size() >= 1, "the release answer");
    r.call.onNext(SessionRequest.newBuilder().setId(2).setRelease(
        ReleaseRequest.newBuilder().setOrgId("beta").setCallId("beta-1")).build());
    f.stepUntil(r.done::isDone, "the end of the session");
    Status s = ended(r);
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode());
    assertTrue(r.received().stream().noneMatch(a -> a.getId() == 2), "the refused request has no answer");
    assertEquals(1, f.await(monitor(ADMIN).getOrgStatus(
        GetOrgStatusRequest.newBuilder().setOrgId("beta").build())).getStatus().getInUse());
  }

  // ---- Each role ----------------------------------------------------------------------------

  @Test
  void eachRoleGetsWhatItsLineSays() throws Exception {
    start();
    String[] acme = {"acme", "acme-1"};
    String[] beta = {"beta", "beta-1"};
    Set<String> reads = Set.of("GetOrgStatus", "WatchOrg", "ListEvents");
    for (var rpc : everyRpc(ACME_WALL).entrySet()) { // monitor:acme
      assertEquals(reads.contains(rpc.getKey()), rpc.getValue().apply(acme).isOk(), "monitor:acme " + rpc.getKey());
      assertEquals(Status.Code.PERMISSION_DENIED, rpc.getValue().apply(beta).getCode(), "monitor:acme " + rpc.getKey());
    }
    for (var rpc : everyRpc(NOC).entrySet()) { // monitor:*
      for (String[] t : List.of(acme, beta)) {
        Status s = rpc.getValue().apply(t);
        assertEquals(reads.contains(rpc.getKey()), s.isOk(), "monitor:* " + rpc.getKey() + " " + s);
        if (!s.isOk()) {
          assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), "monitor:* " + rpc.getKey());
        }
      }
    }
    // admin: nothing refused for lack of rights (some refused for their own reasons, e.g. DeleteOrg of a busy org).
    for (var rpc : everyRpc(ADMIN).entrySet()) {
      Status s = rpc.getValue().apply(beta);
      assertTrue(s.getCode() != Status.Code.PERMISSION_DENIED && s.getCode() != Status.Code.UNAUTHENTICATED,
          "admin " + rpc.getKey() + ": " + s);
    }
  }

  @Test
  void noTokenOrAnUnknownOneIsUnauthenticatedEverywhere() throws Exception {
    start();
    for (String token : new String[] {null, "not-a-token", ACME + "x"}) {
      for (var rpc : everyRpc(token).entrySet()) {
        Status s = rpc.getValue().apply(new String[] {"acme", "acme-1"});
        assertEquals(Status.Code.UNAUTHENTICATED, s.getCode(), token + " " + rpc.getKey());
        assertEquals(AccessControl.UNAUTHENTICATED, s.getDescription());
      }
    }
  }

  @Test
  void healthAndReflectionNeedNoToken() throws Exception {
    start();
    f.health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING,
        HealthGrpc.newBlockingStub(f.channel).check(HealthCheckRequest.getDefaultInstance()).getStatus());
    GrpcFixture.Recording<ServerReflectionRequest, ServerReflectionResponse> r = new GrpcFixture.Recording<>() {};
    ServerReflectionGrpc.newStub(f.channel).serverReflectionInfo(r).onNext(
        ServerReflectionRequest.newBuilder().setListServices("").build());
    f.stepUntil(() -> !r.received().isEmpty() || r.done.isDone(), "a reflection answer");
    assertTrue(r.received().get(0).getListServicesResponse().getServiceList().stream()
        .anyMatch(s -> s.getName().equals(AdmissionServiceGrpc.SERVICE_NAME)), r.received()::toString);
    r.call.onCompleted();
  }

  // ---- Reload -------------------------------------------------------------------------------

  @Test
  void aReloadTakesTheNewFileAtOnceAndABadOneKeepsTheTokensInUse() throws Exception {
    start();
    String[] acme = {"acme", "acme-1"};
    Function<String[], Status> status = everyRpc(ACME).get("GetOrgStatus");
    assertTrue(status.apply(acme).isOk());

    Files.writeString(file, line(ADMIN, "admin", "ops") + "\n" + line("rotated", "org:acme", "acme-switch-2") + "\n");
    assertTrue(access.reload());
    assertEquals(Status.Code.UNAUTHENTICATED, status.apply(acme).getCode(), "the old token is gone");
    assertTrue(everyRpc("rotated").get("GetOrgStatus").apply(acme).isOk(), "the new token works");

    Files.writeString(file, line(ADMIN, "admin") + "\n" + "abc org:acme\n");
    assertFalse(access.reload(), "a bad file is not taken");
    assertTrue(everyRpc("rotated").get("GetOrgStatus").apply(acme).isOk(), "the tokens in use stay");
  }

  // ---- The actor in the audit log ------------------------------------------------------------

  @Test
  void auditEventsNameTheLabelOfTheTokenThatMadeTheChange() throws Exception {
    start();
    f.await(admin(ADMIN).setReservation(SetReservationRequest.newBuilder().setOrgId("acme")
        .setAgentId("agent-7").setCallType(CallType.CALL_TYPE_CHAT).setSlots(0).build()));
    f.await(calls(ACME).release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("acme-1").build()));
    f.audit.awaitWritten();
    List<AuditEvent> events = f.await(monitor(NOC).listEvents(
        ListEventsRequest.newBuilder().setOrgId("acme").build())).getEventsList();
    Map<AuditEventKind, String> actorOf = new LinkedHashMap<>();
    events.forEach(e -> actorOf.put(e.getKind(), e.getActor()));
    assertEquals("ops on call", actorOf.get(AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED), events::toString);
    assertEquals("ops on call", actorOf.get(AuditEventKind.AUDIT_EVENT_KIND_RESERVATION_SET), events::toString);
    assertEquals("acme-switch", actorOf.get(AuditEventKind.AUDIT_EVENT_KIND_RELEASED), events::toString);
    assertEquals("acme-switch", actorOf.get(AuditEventKind.AUDIT_EVENT_KIND_DISPATCHED),
        "a dispatch names the request that freed the slot");
  }

  @Test
  void aTokenWithoutALabelIsNamedByTheStartOfItsHashNeverTheToken() throws Exception {
    start();
    var caller = access.caller("Bearer " + NOC, null);
    assertEquals("token " + sha256(NOC).substring(0, 12), caller.actor());
    assertFalse(caller.actor().contains(NOC));
  }
}
