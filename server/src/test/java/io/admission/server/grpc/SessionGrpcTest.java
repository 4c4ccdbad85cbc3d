package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.CallType;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SessionError;
import io.admission.v1.SessionEvent;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.WaitForSlotResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Session over gRPC: pipelined requests answered by id, the events of the session's held calls
 * on the same stream, bad requests answered without ending the stream or changing anything, and
 * a cancelled session that drops its watches but keeps its leases.
 */
class SessionGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void pipelinedRequestsAreAnsweredByTheirIds() {
    f.putOrg("acme", 2);
    Session s = open();
    // Sent back to back before the loop runs once: one batch, answered by id.
    s.acquire(11, call("acme", "c-1"));
    s.acquire(12, call("acme", "c-2"));
    s.acquire(13, call("acme", "c-3"));
    s.send(SessionRequest.newBuilder().setId(14).setRenew(RenewRequest.newBuilder()
        .setOrgId("acme").addCallIds("c-1").addCallIds("c-3").addCallIds("never")));
    s.release(15, "acme", "c-2");

    f.stepUntil(() -> s.answered(11, 12, 13, 14, 15), "five answers");

    assertEquals("c-1", s.answer(11).getAcquire().getLease().getCallId());
    assertEquals("c-2", s.answer(12).getAcquire().getLease().getCallId());
    assertEquals(Outcome.OUTCOME_HELD, s.answer(13).getAcquire().getOutcome());
    assertEquals(List.of("c-1"),
        s.answer(14).getRenew().getLeasesList().stream().map(l -> l.getCallId()).toList());
    assertEquals(List.of("never"), s.answer(14).getRenew().getUnknownCallIdsList());
    assertEquals(List.of("c-3"), s.answer(14).getRenew().getHeldCallIdsList());
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, s.answer(15).getRelease().getEffect());

    // c-2's release dispatched the held c-3, in the same batch: its event follows its answer.
    f.stepUntil(() -> s.events().size() == 1, "c-3's dispatch");
    SessionEvent dispatched = s.events().get(0);
    assertEquals("acme", dispatched.getOrgId());
    assertEquals("c-3", dispatched.getCallId());
    assertEquals("c-3", dispatched.getChange().getDispatched().getCallId());
    assertTrue(s.indexOfAnswer(13) < s.indexOfEvent("c-3"), "the answer comes before the event");
    assertEquals(0, f.loop.watchedCalls(), "a dispatched call is no longer watched");
    assertFalse(s.done.isDone());
  }

  @Test
  void aHeldCallIsDispatchedOnTheSessionWhenAnotherCallReleases() {
    f.putOrg("acme", 1);
    Session s = open();
    s.acquire(1, call("acme", "c-1"));
    f.stepUntil(() -> s.answered(1), "c-1 granted");
    f.at(SECOND);
    s.acquire(2, call("acme", "c-2"));
    f.stepUntil(() -> s.answered(2), "c-2 held");
    assertEquals(Outcome.OUTCOME_HELD, s.answer(2).getAcquire().getOutcome());
    assertEquals(1, f.loop.watchedCalls());
    assertTrue(s.events().isEmpty(), "no event before anything changed");

    f.at(5 * SECOND);
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, f.release("acme", "c-1")); // unary, elsewhere
    f.stepUntil(() -> !s.events().isEmpty(), "c-2's dispatch");

    WaitForSlotResponse change = s.events().get(0).getChange();
    assertEquals(WaitForSlotResponse.EventCase.DISPATCHED, change.getEventCase());
    assertEquals("c-2", change.getDispatched().getCallId());
    assertEquals(ts(T0 + 5 * SECOND), change.getDispatched().getGrantedAt());
    assertEquals(0, s.responses().stream().filter(SessionResponse::hasEvent)
        .mapToLong(SessionResponse::getId).sum(), "events answer no request: id 0");
  }

  @Test
  void aBadRequestIsAnsweredWithItsFieldAndChangesNothing() {
    f.putOrg("acme", 1);
    Session s = open();
    s.acquire(1, call("acme", "c-1").setFromNumber("+15550100"));
    f.stepUntil(() -> s.answered(1), "c-1 granted");

    s.acquire(2, call("", "c-2"));
    s.acquire(3, call("nowhere", "c-3"));
    s.acquire(4, call("acme", "c-1").setFromNumber("+15550199")); // same call_id, other number
    s.acquire(5, call("acme", "c-5").setCallType(CallType.CALL_TYPE_UNSPECIFIED));
    s.send(SessionRequest.newBuilder().setId(6));
    s.send(SessionRequest.newBuilder().setId(7).setRenew(RenewRequest.newBuilder()
        .setOrgId("acme").addCallIds("c-1").addCallIds("")));
    f.stepUntil(() -> s.answered(2, 3, 4, 5, 6, 7), "six refusals");

    assertError(s.answer(2), "INVALID_ARGUMENT", "org_id");
    assertTrue(s.answer(2).getError().getMessage().startsWith("org_id: "));
    assertError(s.answer(3), "NOT_FOUND", "org_id");
    assertError(s.answer(4), "ALREADY_EXISTS", "call_id");
    assertError(s.answer(5), "INVALID_ARGUMENT", "call_type");
    assertError(s.answer(6), "INVALID_ARGUMENT", "request");
    assertError(s.answer(7), "INVALID_ARGUMENT", "call_ids[1]");

    // The stream is still open and nothing changed: c-1 holds the one slot, as before.
    assertFalse(s.done.isDone());
    assertEquals(1, f.status("acme").getInUse());
    assertEquals(0, f.status("acme").getQueued());
    s.release(8, "acme", "c-1");
    f.stepUntil(() -> s.answered(8), "a release after the refusals");
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, s.answer(8).getRelease().getEffect());
  }

  @Test
  void aRetriedAcquireIsIdempotentAndWatchesOnce() {
    f.putOrg("acme", 1);
    Session s = open();
    s.acquire(1, call("acme", "c-1"));
    s.acquire(2, call("acme", "c-1"));
    s.acquire(3, call("acme", "c-2"));
    s.acquire(4, call("acme", "c-2"));
    f.stepUntil(() -> s.answered(1, 2, 3, 4), "four answers");

    assertFalse(s.answer(1).getAcquire().getRetry());
    assertTrue(s.answer(2).getAcquire().getRetry());
    assertEquals(s.answer(1).getAcquire().getLease(), s.answer(2).getAcquire().getLease());
    assertEquals(Outcome.OUTCOME_HELD, s.answer(4).getAcquire().getOutcome());
    assertTrue(s.answer(4).getAcquire().getRetry());
    assertEquals(1, f.status("acme").getInUse(), "counted once");
    assertEquals(1, f.status("acme").getQueued(), "queued once");

    f.release("acme", "c-1");
    f.stepUntil(() -> !s.events().isEmpty(), "c-2's dispatch");
    f.loop.step();
    assertEquals(1, s.events().size(), "one watch, so one dispatch event");
  }

  @Test
  void cancellingTheSessionDropsItsWatchesButKeepsItsLeases() {
    f.putOrg("acme", 1);
    Session s = open();
    s.acquire(1, call("acme", "c-1"));
    s.acquire(2, call("acme", "c-2"));
    f.stepUntil(() -> s.answered(1, 2), "granted and held");
    assertEquals(1, f.loop.watchedCalls());

    s.call.cancel("the switch goes away", null);
    f.stepUntil(() -> f.loop.watchedCalls() == 0, "the session's watch dropped");

    assertEquals(1, f.status("acme").getInUse(), "c-1's lease stays");
    assertEquals(1, f.status("acme").getQueued(), "c-2 still waits");
    f.release("acme", "c-1");
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c-2").getOutcome(), "dispatched");
    assertTrue(s.events().isEmpty(), "nothing reached the cancelled session");
  }

  @Test
  void halfClosingAnswersWhatIsInFlightThenCompletes() {
    f.putOrg("acme", 1);
    Session s = open();
    s.acquire(1, call("acme", "c-1"));
    s.acquire(2, call("acme", "c-2"));
    s.call.onCompleted();
    f.stepUntil(s.done::isDone, "the session to complete");

    assertTrue(s.answered(1, 2));
    assertFalse(s.done.isCompletedExceptionally());
    assertEquals(0, f.loop.watchedCalls(), "a half-closed session watches nothing");
  }

  private static void assertError(SessionResponse r, String code, String field) {
    assertTrue(r.hasError(), r::toString);
    SessionError e = r.getError();
    assertEquals(code, e.getCode(), r::toString);
    assertEquals(field, e.getField(), r::toString);
    assertFalse(e.getMessage().isEmpty(), r::toString);
  }

  private Session open() {
    Session s = new Session();
    f.admissionAsync.session(s);
    return s;
  }

  /** One client's view of a Session stream: everything it received, in order. */
  static final class Session extends GrpcFixture.Recording<SessionRequest, SessionResponse> {
    void send(SessionRequest.Builder request) {
      call.onNext(request.build());
    }

    void acquire(long id, AcquireRequest.Builder request) {
      send(SessionRequest.newBuilder().setId(id).setAcquire(request));
    }

    void release(long id, String orgId, String callId) {
      send(SessionRequest.newBuilder().setId(id).setRelease(
          ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId)));
    }

    List<SessionResponse> responses() {
      return received();
    }

    List<SessionEvent> events() {
      return responses().stream()
          .filter(SessionResponse::hasEvent).map(SessionResponse::getEvent).toList();
    }

    /** True when every id has exactly one answer. */
    boolean answered(long... ids) {
      List<SessionResponse> all = responses();
      for (long id : ids) {
        if (all.stream().filter(r -> !r.hasEvent() && r.getId() == id).count() != 1) {
          return false;
        }
      }
      return true;
    }

    SessionResponse answer(long id) {
      return responses().get(indexOfAnswer(id));
    }

    int indexOfAnswer(long id) {
      List<SessionResponse> all = responses();
      for (int i = 0; i < all.size(); i++) {
        if (!all.get(i).hasEvent() && all.get(i).getId() == id) {
          return i;
        }
      }
      throw new AssertionError("no answer with id " + id + " in " + all);
    }

    int indexOfEvent(String callId) {
      List<SessionResponse> all = responses();
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).hasEvent() && all.get(i).getEvent().getCallId().equals(callId)) {
          return i;
        }
      }
      throw new AssertionError("no event of " + callId + " in " + all);
    }
  }
}
