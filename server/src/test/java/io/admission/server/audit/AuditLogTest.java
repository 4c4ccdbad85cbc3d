package io.admission.server.audit;

import static io.admission.server.loop.SteppedLoop.SECOND;
import static io.admission.server.loop.SteppedLoop.T0;
import static io.admission.server.loop.SteppedLoop.call;
import static io.admission.server.loop.SteppedLoop.putOrg;
import static io.admission.server.loop.SteppedLoop.release;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.Results;
import io.admission.server.audit.AuditReader;
import io.admission.server.api.InvalidRequest;
import io.admission.server.loop.SteppedLoop;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.DenialReason;
import io.admission.v1.HoldReason;
import io.admission.v1.ListEventsResponse;
import io.admission.v1.SlotKind;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log fed by a real loop stepped by hand: what it records, and what survives. */
class AuditLogTest {
  private static final AuditLog.Options OPTIONS = AuditLog.Options.DEFAULT;

  @TempDir
  Path dir;

  @Test
  void recordsEveryDecisionEndAndChangeWithWhoAndWhy() throws Exception {
    try (SteppedLoop loop = new SteppedLoop();
        AuditLog audit = AuditLog.inMemory(OPTIONS, InstantSource.system())) {
      loop.loop.observe(audit.recorder());
      loop.run(putOrg("acme", 2, 1)); // daily cap of 1 outbound call
      loop.run(new Commands.SetReservation("acme", "support", CallType.INBOUND, 1));
      loop.run(call("acme", "c1", "sales", CallType.OUTBOUND, "alice", "+15550001", 0, 0));
      loop.run(call("acme", "c2", "sales", CallType.WEBCALL, "bob", "", 0, 0)); // held: 1 shared slot
      loop.run(call("acme", "c1", "sales", CallType.OUTBOUND, "alice", "+15550001", 0, 0)); // retry
      loop.at(5 * SECOND);
      loop.run(release("acme", "c1")); // c2 dispatched after 5 s
      loop.run(call("acme", "c3", "", CallType.CHAT, "carol", "", 0, 10 * SECOND));
      loop.at(16 * SECOND); // c3's max_wait passes
      loop.run(call("acme", "c4", "", CallType.CHAT, "dave", "", 0, 0));
      loop.run(release("acme", "c4")); // cancelled while held
      loop.run(new Commands.RemoveAgent("acme", "support")); // 2 shared now, 1 free
      loop.run(call("acme", "c5", "", CallType.OUTBOUND, "erin", "", 0, 0)); // daily cap: denied
      loop.run(new Commands.SetLoginLimits("acme", "alice",
          new LoginLimits(OptionalInt.of(3), OptionalInt.empty(), OptionalLong.empty())));
      loop.run(new Commands.SetNumberLimits("acme", "+15550001",
          new NumberLimits(OptionalInt.of(100), OptionalInt.empty(), OptionalInt.empty())));
      loop.run(release("acme", "nobody")); // changes nothing: not recorded
      loop.run(call("other-org", "x")); // NOT_FOUND: not recorded
      loop.run(call("acme", "c6", "", CallType.INBOUND, "", "", 2 * SECOND, 0));
      loop.at(30 * SECOND); // c2 still runs; c6's lease expires

      audit.awaitWritten();
      List<AuditEvent> events = all(audit, "acme");
      List<AuditEventKind> kinds = events.stream().map(AuditEvent::getKind).toList();
      assertEquals(List.of(
          AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED,
          AuditEventKind.AUDIT_EVENT_KIND_RESERVATION_SET,
          AuditEventKind.AUDIT_EVENT_KIND_GRANTED,
          AuditEventKind.AUDIT_EVENT_KIND_HELD,
          AuditEventKind.AUDIT_EVENT_KIND_RELEASED,
          AuditEventKind.AUDIT_EVENT_KIND_DISPATCHED,
          AuditEventKind.AUDIT_EVENT_KIND_HELD,
          AuditEventKind.AUDIT_EVENT_KIND_WAIT_EXPIRED,
          AuditEventKind.AUDIT_EVENT_KIND_HELD,
          AuditEventKind.AUDIT_EVENT_KIND_CANCELLED,
          AuditEventKind.AUDIT_EVENT_KIND_AGENT_REMOVED,
          AuditEventKind.AUDIT_EVENT_KIND_DENIED,
          AuditEventKind.AUDIT_EVENT_KIND_LOGIN_LIMITS_SET,
          AuditEventKind.AUDIT_EVENT_KIND_NUMBER_LIMITS_SET,
          AuditEventKind.AUDIT_EVENT_KIND_GRANTED,
          AuditEventKind.AUDIT_EVENT_KIND_LEASE_EXPIRED), kinds, events::toString);

      for (int i = 1; i < events.size(); i++) {
        assertTrue(events.get(i).getSequence() > events.get(i - 1).getSequence());
        assertTrue(AuditStore.millis(events.get(i)) >= AuditStore.millis(events.get(i - 1)));
      }
      assertEquals(Instant.ofEpochMilli(T0), instant(events.get(0)));

      AuditEvent granted = events.get(2);
      assertEquals("c1", granted.getCallId());
      assertEquals("sales", granted.getAgentId());
      assertEquals("alice", granted.getLoginId());
      assertEquals("+15550001", granted.getFromNumber());
      assertEquals(io.admission.v1.CallType.CALL_TYPE_OUTBOUND, granted.getCallType());
      assertEquals(SlotKind.SLOT_KIND_SHARED, granted.getLease().getSlotKind());

      AuditEvent held = events.get(3);
      assertEquals(HoldReason.HOLD_REASON_ORG_POOL_FULL, held.getHoldReason());
      assertEquals(held.getHold().getMessage(), held.getMessage());
      assertEquals("bob", held.getLoginId());

      AuditEvent released = events.get(4);
      assertEquals("c1", released.getCallId());
      assertEquals("alice", released.getLoginId(), "named though the event carries only the id");
      assertEquals("+15550001", released.getFromNumber());
      assertEquals(Instant.ofEpochMilli(T0 + 5 * SECOND), instant(released));

      AuditEvent dispatched = events.get(5);
      assertEquals("c2", dispatched.getCallId());
      assertEquals("bob", dispatched.getLoginId());
      assertEquals(5, dispatched.getWaited().getSeconds());

      AuditEvent waitExpired = events.get(7);
      assertEquals("carol", waitExpired.getLoginId());
      assertEquals(10, waitExpired.getWaited().getSeconds());
      assertEquals("dave", events.get(9).getLoginId());

      AuditEvent denied = events.get(11);
      assertEquals("c5", denied.getCallId());
      assertEquals(DenialReason.DENIAL_REASON_DAILY_CAP, denied.getDenialReason());
      assertEquals(denied.getDenial().getMessage(), denied.getMessage());

      assertEquals(1, events.get(10).getFreedSlots());
      assertEquals("support", events.get(10).getAgentId());
      assertEquals("alice", events.get(12).getLoginId());
      assertEquals(3, events.get(12).getLoginLimits().getMaxConcurrent());
      assertEquals("+15550001", events.get(13).getFromNumber());
      assertEquals(100, events.get(13).getNumberLimits().getMaxPerDay());
      assertEquals("support", events.get(1).getReservation().getAgentId());
      assertEquals(1, events.get(1).getReservation().getSlots());
      assertEquals(2, events.get(0).getOrg().getConcurrencyLimit());

      AuditEvent expired = events.get(15);
      assertEquals("c6", expired.getCallId());
      assertEquals(io.admission.v1.CallType.CALL_TYPE_INBOUND, expired.getCallType());
      assertEquals(0, audit.droppedOrLost());
    }
  }

  @Test
  void eventsSurviveARestartAndCallsFromBeforeItAreStillNamed() throws Exception {
    SteppedLoop before = new SteppedLoop();
    try (AuditLog audit = AuditLog.open(dir, OPTIONS, InstantSource.system())) {
      before.loop.observe(audit.recorder());
      before.run(putOrg("acme", 1));
      before.run(call("acme", "c1", "sales", CallType.OUTBOUND, "alice", "+15550001", 0, 0));
      before.run(call("acme", "c2", "sales", CallType.OUTBOUND, "bob", "+15550002", 0, 0));
      audit.awaitWritten();
    }
    before.close();

    // "Restart": a new loop over the engine as recovered, and the audit log reopened. Events of
    // calls from before it name them because every engine event carries its call.
    try (SteppedLoop after = new SteppedLoop(before.engine);
        AuditLog audit = AuditLog.open(dir, OPTIONS, InstantSource.system())) {
      after.loop.observe(audit.recorder());
      after.at(60 * SECOND);
      after.run(release("acme", "c1")); // c2 dispatched
      after.run(release("acme", "c2"));
      audit.awaitWritten();

      List<AuditEvent> events = all(audit, "acme");
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L),
          events.stream().map(AuditEvent::getSequence).toList(), "the sequence goes on");
      assertEquals(AuditEventKind.AUDIT_EVENT_KIND_RELEASED, events.get(3).getKind());
      assertEquals("alice", events.get(3).getLoginId());
      assertEquals("sales", events.get(3).getAgentId());
      assertEquals(AuditEventKind.AUDIT_EVENT_KIND_DISPATCHED, events.get(4).getKind());
      assertEquals(60, events.get(4).getWaited().getSeconds());
      assertEquals(AuditEventKind.AUDIT_EVENT_KIND_RELEASED, events.get(5).getKind());
      assertEquals("bob", events.get(5).getLoginId());
    }
  }

  @Test
  void retentionForgetsOldEvents() throws Exception {
    long[] now = {T0};
    InstantSource clock = new InstantSource() {
      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(now[0]);
      }
    };
    try (SteppedLoop loop = new SteppedLoop();
        AuditLog audit = AuditLog.inMemory(
            OPTIONS.withRetention(java.time.Duration.ofHours(1)), clock)) {
      loop.loop.observe(audit.recorder());
      loop.run(putOrg("acme", 5));
      loop.at(90 * 60 * SECOND);
      loop.run(call("acme", "late"));
      audit.awaitWritten();
      assertEquals(2, all(audit, "acme").size());

      now[0] = T0 + 90 * 60 * SECOND;
      audit.pruneNow();
      List<AuditEvent> left = all(audit, "acme");
      assertEquals(1, left.size());
      assertEquals("late", left.get(0).getCallId());
    }
  }

  @Test
  void aTokenFromAnotherQueryIsRefused() throws Exception {
    try (SteppedLoop loop = new SteppedLoop();
        AuditLog audit = AuditLog.inMemory(OPTIONS, InstantSource.system())) {
      loop.loop.observe(audit.recorder());
      loop.run(putOrg("acme", 1));
      loop.run(call("acme", "c1"));
      audit.awaitWritten();
      ListEventsResponse first =
          audit.list(new AuditReader.Query("acme", Long.MIN_VALUE, Long.MAX_VALUE, 1, ""));
      String token = first.getNextPageToken();
      assertTrue(!token.isEmpty());
      assertEquals(1, audit.list(
          new AuditReader.Query("acme", Long.MIN_VALUE, Long.MAX_VALUE, 1, token)).getEventsCount());
      InvalidRequest e = assertThrows(InvalidRequest.class, () -> audit.list(
          new AuditReader.Query("other", Long.MIN_VALUE, Long.MAX_VALUE, 1, token)));
      assertTrue(e.describe().startsWith("page_token: "), e.describe());
      assertThrows(InvalidRequest.class, () -> audit.list(
          new AuditReader.Query("acme", Long.MIN_VALUE, Long.MAX_VALUE, 1, "not-a-token")));
    }
  }

  @Test
  void theWriterCollectsHandedOverTurnsByItselfWithoutBeingWoken() throws Exception {
    try (SteppedLoop loop = new SteppedLoop();
        AuditLog audit = AuditLog.inMemory(OPTIONS, InstantSource.system())) {
      loop.loop.observe(audit.recorder());
      loop.run(putOrg("acme", 1));
      loop.run(call("acme", "c1"));
      // No awaitWritten: the writer's own collection must make them readable. Generous bound,
      // since the collection runs every few milliseconds; this checks that it runs at all.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (all(audit, "acme").size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(AuditLog.COLLECT_EVERY_MILLIS);
      }
      assertEquals(2, all(audit, "acme").size());
    }
  }

  @Test
  void whenTheWriterIsBehindTheLoopDropsRatherThanWaits() throws Exception {
    AuditLog.Options tiny = new AuditLog.Options(OPTIONS.retentionMillis(), 1_000, 64 << 20, 100, 0);
    try (SteppedLoop loop = new SteppedLoop(); AuditLog audit = AuditLog.inMemory(tiny, InstantSource.system())) {
      loop.loop.observe(audit.recorder());
      assertInstanceOf(Results.OrgView.class, loop.run(putOrg("acme", 1)));
      audit.awaitWritten();
      assertEquals(1, audit.droppedOrLost());
      assertTrue(all(audit, "acme").isEmpty());
    }
  }

  // ---- Helpers ----------------------------------------------------------------------------

  static List<AuditEvent> all(AuditLog audit, String orgId) throws InvalidRequest, IOException {
    List<AuditEvent> out = new ArrayList<>();
    String token = "";
    do {
      ListEventsResponse page = audit.list(
          new AuditReader.Query(orgId, Long.MIN_VALUE, Long.MAX_VALUE, 3, token));
      out.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  private static Instant instant(AuditEvent e) {
    return Instant.ofEpochMilli(AuditStore.millis(e));
  }
}
