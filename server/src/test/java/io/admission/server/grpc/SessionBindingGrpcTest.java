package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.client.AdmissionSession;
import io.admission.server.auth.AccessControl;
import io.admission.server.grpc.SessionGrpcTest.Session;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.OpenSessionRequest;
import io.admission.v1.OpenSessionResponse;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.SessionError;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls bound to a Session: released by ordinary Release commands when the session ends and is
 * not resumed within the grace period (10 s in the fixture, on its manual clock, expired by hand
 * with {@code expireDue}); kept, every one, when it is resumed in time; unbound calls never
 * touched; and a session resumed only by the token that opened it.
 */
class SessionBindingGrpcTest {
  private static final long GRACE = 10 * SECOND;
  @TempDir Path tmp;
  private GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aSessionThatEndsAndIsNotResumedHasItsBoundCallsReleasedAfterTheGracePeriod() {
    f.putOrg("acme", 2);
    Session s = session(f.admissionAsync.getChannel());
    OpenSessionResponse opened = open(s, 1, "");
    assertEquals(0, opened.getBoundCalls());
    assertEquals(10, opened.getGracePeriod().getSeconds(), "the grace period is said");
    bound(s, 2, call("acme", "bound-1"));
    s.acquire(3, call("acme", "unbound-2"));
    bound(s, 4, call("acme", "bound-3")); // held: the pool has 2 slots
    f.stepUntil(() -> s.answered(2, 3, 4), "three answers");
    assertEquals(Outcome.OUTCOME_HELD, s.answer(4).getAcquire().getOutcome());

    f.at(SECOND);
    end(s, opened.getSessionId());
    f.at(SECOND + GRACE - 1);
    assertEquals(0, f.sessions.expireDue(), "not yet: the grace period has a millisecond to go");
    f.loop.step();
    assertEquals(2, f.status("acme").getInUse());
    assertEquals(1, f.status("acme").getQueued());

    f.at(SECOND + GRACE);
    assertEquals(1, f.sessions.expireDue());
    f.loop.step(); // the Releases, submitted to the loop like any other command
    assertEquals(1, f.status("acme").getInUse(), "bound-1 released");
    assertEquals(0, f.status("acme").getQueued(), "bound-3 released too, held or dispatched");
    assertTrue(f.awaitError(f.admission.acquire(call("acme", "bound-1").build()))
        .getStatus().getDescription().contains("released"), "bound-1 ended by a Release");
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "unbound-2").getOutcome(),
        "the unbound call is untouched: a retry still finds it granted");
    assertEquals(0, f.sessions.sessions(), "the expired session is forgotten");
  }

  @Test
  void resumingWithinTheGracePeriodKeepsEveryBoundCall() {
    f.putOrg("acme", 1);
    Session first = session(f.admissionAsync.getChannel());
    String id = open(first, 1, "").getSessionId();
    bound(first, 2, call("acme", "c-1"));
    bound(first, 3, call("acme", "c-2")); // held
    f.stepUntil(() -> first.answered(2, 3), "granted and held");
    end(first, id);

    f.at(GRACE - SECOND);
    Session second = session(f.admissionAsync.getChannel());
    OpenSessionResponse resumed = open(second, 1, id);
    assertEquals(id, resumed.getSessionId());
    assertEquals(2, resumed.getBoundCalls(), "both calls stay bound");

    f.at(10 * GRACE);
    assertEquals(0, f.sessions.expireDue(), "resumed: nothing to release");
    f.loop.step();
    assertEquals(1, f.status("acme").getInUse());
    assertEquals(1, f.status("acme").getQueued());

    // The resumed session binds as the first did, and its own end releases everything.
    end(second, id);
    f.at(11 * GRACE);
    assertEquals(1, f.sessions.expireDue());
    f.loop.step();
    assertEquals(0, f.status("acme").getInUse());
    assertEquals(0, f.status("acme").getQueued());
  }

  @Test
  void aSessionExpiredIsGoneAndACallReleasedOnTheSessionIsNoLongerBound() {
    f.putOrg("acme", 3);
    Session s = session(f.admissionAsync.getChannel());
    String id = open(s, 1, "").getSessionId();
    bound(s, 2, call("acme", "c-1"));
    bound(s, 3, call("acme", "c-2"));
    f.stepUntil(() -> s.answered(2, 3), "two grants");
    s.release(4, "acme", "c-1");
    f.stepUntil(() -> s.answered(4), "c-1 released on the session");
    end(s, id);

    Session again = session(f.admissionAsync.getChannel());
    assertEquals(1, open(again, 1, id).getBoundCalls(), "only c-2 is still bound");
    end(again, id);
    f.at(GRACE);
    assertEquals(1, f.sessions.expireDue());
    f.loop.step();
    assertEquals(0, f.status("acme").getInUse());

    Session late = session(f.admissionAsync.getChannel());
    late.send(openRequest(1, id));
    f.stepUntil(() -> late.answered(1), "the late resume's answer");
    assertError(late.answer(1), "NOT_FOUND", "resume_session_id");
    assertFalse(late.done.isDone(), "a refused open ends nothing");
  }

  @Test
  void aBoundCallWhoseWaitEndsIsNoLongerBound() {
    f.putOrg("acme", 1);
    Session s = session(f.admissionAsync.getChannel());
    String id = open(s, 1, "").getSessionId();
    bound(s, 2, call("acme", "c-1"));
    bound(s, 3, call("acme", "c-2").setMaxWait(com.google.protobuf.Duration.newBuilder().setSeconds(5)));
    f.stepUntil(() -> s.answered(2, 3), "granted and held");
    f.at(5 * SECOND);
    f.stepUntil(() -> s.events().size() == 1, "c-2's wait to expire");
    end(s, id);
    assertEquals(1, open(session(f.admissionAsync.getChannel()), 1, id).getBoundCalls(),
        "only c-1: c-2 ended by itself and has nothing left to release");
  }

  @Test
  void aBoundAcquireAnsweredAfterItsSessionExpiredIsReleasedAtOnce() {
    f.putOrg("acme", 1);
    Object stream = new Object();
    BoundSessions.Bound b = f.sessions.open(null, "", stream);
    f.sessions.ended(b, stream);
    f.at(GRACE);
    assertEquals(1, f.sessions.expireDue());
    // The acquire was in the loop when the session expired: it is granted, then bound too late.
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c-1").getOutcome());
    b.bind(new BoundSessions.Call("acme", "c-1"));
    f.loop.step();
    assertEquals(0, f.status("acme").getInUse(), "released at once, not leaked");
  }

  @Test
  void bindNeedsAnOpenSessionAndAnAcquire() {
    f.putOrg("acme", 2);
    Session s = session(f.admissionAsync.getChannel());
    bound(s, 1, call("acme", "c-1"));
    s.send(SessionRequest.newBuilder().setId(2).setBind(true)
        .setRelease(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("c-1")));
    f.stepUntil(() -> s.answered(1, 2), "two refusals");
    assertError(s.answer(1), "INVALID_ARGUMENT", "bind");
    assertError(s.answer(2), "INVALID_ARGUMENT", "bind");
    assertEquals(0, f.status("acme").getInUse(), "nothing acquired");

    open(s, 3, "");
    s.send(openRequest(4, ""));
    f.stepUntil(() -> s.answered(4), "the second open's answer");
    assertError(s.answer(4), "INVALID_ARGUMENT", "open");
  }

  @Test
  void onlyTheTokenThatOpenedASessionMayResumeIt() throws Exception {
    String admin = "admin-secret";
    String acme = "acme-switch-secret";
    String acme2 = "acme-second-switch";
    String beta = "beta-switch-secret";
    String wall = "acme-wallboard-secret";
    Path file = tmp.resolve("tokens");
    Files.writeString(file, String.join("\n",
        AccessGrpcTest.line(admin, "admin", "ops"),
        AccessGrpcTest.line(acme, "org:acme", "acme-switch"),
        AccessGrpcTest.line(acme2, "org:acme", "acme-switch-2"),
        AccessGrpcTest.line(beta, "org:beta", "beta-switch"),
        AccessGrpcTest.line(wall, "monitor:acme", "acme wallboard"), ""));
    f.close();
    f = new GrpcFixture(AccessControl.load(file));
    f.await(AdmissionAdminServiceGrpc.newFutureStub(as(admin)).putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(2)).build()));

    Session s = session(as(acme));
    String id = open(s, 1, "").getSessionId();
    bound(s, 2, call("acme", "c-1"));
    f.stepUntil(() -> s.answered(2), "granted");
    end(s, id);

    for (String other : new String[] {acme2, beta}) {
      Session thief = session(as(other));
      thief.send(openRequest(1, id));
      thief.send(openRequest(2, "0123456789abcdef0123456789abcdef")); // unknown: the same answer
      f.stepUntil(() -> thief.answered(1, 2), "two refusals");
      assertError(thief.answer(1), "NOT_FOUND", "resume_session_id");
      assertEquals(thief.answer(2).getError().getMessage(), thief.answer(1).getError().getMessage(),
          "another token's session looks exactly like an unknown one");
    }
    assertTrue(f.sessions.awaitsResume(id), "the refused resumes took nothing over");
    Session monitor = session(as(wall));
    monitor.send(openRequest(1, id));
    f.stepUntil(monitor.done::isDone, "a monitor token's Session to be refused");
    assertEquals(Status.Code.PERMISSION_DENIED,
        Status.fromThrowable(f.awaitError(monitor.done)).getCode(), "a monitor makes no calls");

    Session owner = session(as(acme));
    assertEquals(1, open(owner, 1, id).getBoundCalls());
    f.at(10 * GRACE);
    assertEquals(0, f.sessions.expireDue());

    // Not resumed this time: the release is an ordinary, audited Release in the owner's name.
    end(owner, id);
    f.at(11 * GRACE);
    assertEquals(1, f.sessions.expireDue());
    f.loop.step();
    f.audit.awaitWritten();
    List<AuditEvent> released = f.await(AdmissionMonitorServiceGrpc.newFutureStub(as(admin))
            .listEvents(ListEventsRequest.newBuilder().setOrgId("acme").build())).getEventsList()
        .stream().filter(e -> e.getKind() == AuditEventKind.AUDIT_EVENT_KIND_RELEASED).toList();
    assertEquals(1, released.size(), released::toString);
    assertEquals("c-1", released.get(0).getCallId());
    assertEquals("acme-switch", released.get(0).getActor(), "the token that bound it");
  }

  @Test
  void theJavaClientBindsItsCallsAndResumesTheSession() {
    f.putOrg("acme", 3);
    AdmissionSession bound = AdmissionSession.openBound(f.channel, null, event -> {});
    String id = f.await(bound.opened()).getSessionId();
    assertEquals(Outcome.OUTCOME_GRANTED, f.await(bound.acquire(call("acme", "c-1").build())).getOutcome());
    AdmissionSession unbound = AdmissionSession.open(f.channel, null, event -> {});
    assertEquals(Outcome.OUTCOME_GRANTED, f.await(unbound.acquire(call("acme", "c-2").build())).getOutcome());
    unbound.abort();
    bound.abort(); // the connection broke
    f.stepUntil(() -> f.sessions.awaitsResume(id), "the server to notice the end");

    f.at(5 * SECOND);
    AdmissionSession resumed = AdmissionSession.resume(f.channel, null, id, event -> {});
    assertEquals(1, f.await(resumed.opened()).getBoundCalls(), "c-1 kept");
    assertEquals(Outcome.OUTCOME_GRANTED, f.await(resumed.acquire(call("acme", "c-3").build())).getOutcome());
    resumed.close();
    f.stepUntil(() -> f.sessions.awaitsResume(id), "the half-close to end the session");

    f.at(5 * SECOND + GRACE);
    assertEquals(1, f.sessions.expireDue());
    f.loop.step();
    assertEquals(1, f.status("acme").getInUse(), "c-1 and c-3 released; c-2, unbound, still runs");
    assertEquals(Status.Code.NOT_FOUND, Status.fromThrowable(f.awaitError(
        AdmissionSession.resume(f.channel, null, id, event -> {}).opened())).getCode(), "expired");
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private Channel as(String token) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return ClientInterceptors.intercept(f.channel, MetadataUtils.newAttachHeadersInterceptor(m));
  }

  private Session session(Channel channel) {
    Session s = new Session();
    AdmissionServiceGrpc.newStub(channel).session(s);
    return s;
  }

  private static SessionRequest.Builder openRequest(long id, String resume) {
    return SessionRequest.newBuilder().setId(id)
        .setOpen(OpenSessionRequest.newBuilder().setResumeSessionId(resume));
  }

  private OpenSessionResponse open(Session s, long id, String resume) {
    s.send(openRequest(id, resume));
    f.stepUntil(() -> s.answered(id), "the open answer");
    SessionResponse r = s.answer(id);
    assertTrue(r.hasOpen(), r::toString);
    assertNotEquals("", r.getOpen().getSessionId());
    return r.getOpen();
  }

  private static void bound(Session s, long id, AcquireRequest.Builder request) {
    s.send(SessionRequest.newBuilder().setId(id).setBind(true).setAcquire(request));
  }

  /** The client goes away; returns once the server has started the session's grace period. */
  private void end(Session s, String sessionId) {
    s.call.cancel("the switch crashed", null);
    f.stepUntil(() -> f.sessions.awaitsResume(sessionId), "the server to notice the end");
  }

  private static void assertError(SessionResponse r, String code, String field) {
    assertTrue(r.hasError(), r::toString);
    SessionError e = r.getError();
    assertEquals(code, e.getCode(), r::toString);
    assertEquals(field, e.getField(), r::toString);
    assertFalse(e.getMessage().isEmpty(), r::toString);
    assertNotEquals(Status.Code.OK.name(), e.getCode());
  }
}
