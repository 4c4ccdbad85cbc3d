package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The byte log behind the 10-minute memory of ended calls must give back exactly what went in,
 * forget exactly the calls old enough, in order, and find every other one: checked against a map
 * and a queue over random histories that roll through many chunks, grow and shrink the index,
 * and lean on colliding hashes ("Aa" and "BB" share a String hash), non-ASCII and long ids.
 */
// A broken walk of the log loops forever without looking at interrupts: fail it from outside.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EndedCallsTest {
  private final List<OrgState> orgs = new ArrayList<>();
  private final EndedCalls store = new EndedCalls(orgs, IdHashKey.PUBLIC);

  EndedCallsTest() {
    Engine engine = new Engine();
    for (int serial = 0; serial < 3; serial++) {
      orgs.add(new OrgState(
          engine, PoolFixture.orgConfig("org-" + serial, 5, OptionalLong.empty()), serial));
    }
  }

  private record Key(int org, String callId) {}

  @Test
  void randomHistoriesAgreeWithAMapAndAQueue() {
    for (long seed = 1; seed <= 20; seed++) {
      run(new Random(seed), seed, 40_000);
    }
  }

  private void run(Random random, long seed, int steps) {
    EndedCalls calls = new EndedCalls(orgs, IdHashKey.PUBLIC);
    Map<Key, EndedCall> remembered = new HashMap<>();
    ArrayDeque<EndedCall> byEnd = new ArrayDeque<>();
    long now = 1_700_000_000_000L;
    long memory = 1 + random.nextInt(20_000);
    for (int step = 0; step < steps; step++) {
      String where = "seed " + seed + " step " + step;
      int op = random.nextInt(10);
      if (op < 5) {
        EndedCall call = randomCall(random, now);
        Key key = new Key(call.org().serial, call.request().callId());
        if (!remembered.containsKey(key)) { // the engine never remembers one call twice
          calls.add(call);
          remembered.put(key, call);
          byEnd.addLast(call);
        }
      } else if (op < 7) {
        now += random.nextInt(random.nextInt(10) == 0 ? 5_000 : 50);
        calls.forgetEndedBy(now - memory);
        while (!byEnd.isEmpty() && byEnd.peekFirst().endedAt() <= now - memory) {
          EndedCall gone = byEnd.pollFirst();
          remembered.remove(new Key(gone.org().serial, gone.request().callId()));
        }
      } else if (op < 9) {
        EndedCall probe = random.nextBoolean() && !byEnd.isEmpty()
            ? pick(random, byEnd) : randomCall(random, now);
        Key key = new Key(probe.org().serial, probe.request().callId());
        assertEquals(remembered.get(key), calls.find(probe.org(), key.callId()), where);
      } else {
        assertEquals(byEnd.size(), calls.size(), where);
        assertEquals(
            byEnd.isEmpty() ? Long.MAX_VALUE : byEnd.peekFirst().endedAt(),
            calls.oldestEndedAt(), where);
      }
    }
    List<EndedCall> all = new ArrayList<>();
    calls.forEach(all::add);
    assertEquals(new ArrayList<>(byEnd), all, "seed " + seed + ": forEach is the end order");
    for (EndedCall call : byEnd) {
      assertEquals(call, calls.find(call.org(), call.request().callId()), "seed " + seed);
    }
  }

  private static EndedCall pick(Random random, ArrayDeque<EndedCall> calls) {
    int skip = random.nextInt(calls.size());
    for (EndedCall c : calls) {
      if (skip-- == 0) {
        return c;
      }
    }
    throw new AssertionError();
  }

  private static final String[] COLLIDING = {"Aa", "BB"};

  private EndedCall randomCall(Random random, long now) {
    OrgState org = orgs.get(random.nextInt(orgs.size()));
    String callId = switch (random.nextInt(6)) {
      case 0 -> { // 2^6 ids with one String hash
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < 6; k++) {
          b.append(COLLIDING[random.nextInt(2)]);
        }
        yield b.toString();
      }
      case 1 -> random.nextBoolean() // non-ASCII: more bytes than chars, up to 3 per char
          ? "appel-é-" + random.nextInt(500) : "€".repeat(1 + random.nextInt(120));
      case 2 -> "x".repeat(100 + random.nextInt(200)) + random.nextInt(50);
      default -> "c-" + random.nextInt(20_000);
    };
    boolean granted = random.nextBoolean();
    boolean denied = !granted && random.nextInt(3) == 0;
    EndReason reason = granted
        ? (random.nextBoolean() ? EndReason.RELEASED : EndReason.EXPIRED)
        : denied ? EndReason.DENIED
        : (random.nextBoolean() ? EndReason.CANCELLED : EndReason.WAIT_EXPIRED);
    CallType type = CallType.values()[random.nextInt(CallType.values().length)];
    Commands.Acquire request = new Commands.Acquire(
        org.config.orgId(), callId, random.nextBoolean() ? "" : "agent-" + random.nextInt(9), type,
        random.nextBoolean() ? "" : "login-" + random.nextInt(9),
        random.nextBoolean() ? "" : "+1555" + random.nextInt(9999),
        random.nextInt(3) * 60_000L, random.nextInt(3) * 1_000L);
    long heldSince = random.nextBoolean() ? -1 : now - random.nextInt(100_000);
    long grantedAt = granted ? now - random.nextInt(3_600_000) : 0;
    long ttl = granted ? 1 + random.nextInt(3_600_000) : 0;
    Results.Denial denial = denied
        ? new Results.Denial(
            DenialReason.values()[random.nextInt(DenialReason.values().length)],
            random.nextBoolean()
                ? Results.Figures.daily("org-" + random.nextInt(), random.nextInt(1000),
                    random.nextBoolean() ? "UTC" : "Europe/Paris", random.nextInt(9), random.nextInt(1000))
                : random.nextBoolean()
                ? Results.Figures.pool("org-é" + random.nextInt(), random.nextInt(9), 10,
                    "agent-" + random.nextInt(9), type, random.nextInt(5))
                : Results.Figures.callingHours("org-" + random.nextInt(), "Europe/Paris", type,
                    now, new CallingHours(List.of(new CallingHours.Window(
                        java.time.DayOfWeek.of(1 + random.nextInt(7)), random.nextInt(600),
                        600 + random.nextInt(841))), random.nextBoolean() ? Set.of()
                        : Set.of(CallType.CHAT, CallType.INBOUND))),
            random.nextBoolean() ? -1 : now + random.nextInt(86_400_000))
        : null;
    return new EndedCall(org, request, random.nextLong() & Long.MAX_VALUE, heldSince,
        granted ? SlotKind.values()[random.nextInt(SlotKind.values().length)] : null,
        grantedAt, ttl, granted ? grantedAt + ttl : 0, reason, now, denial);
  }

  /**
   * A server's steady state: calls end at a steady rate and are forgotten a window later, with
   * quiet spells that forget everything. Full-size chunks are recycled through the log, and what
   * the store holds stays bounded by the window, not by the calls ever seen.
   */
  @Test
  void steadyEndingsRecycleChunksAndStayBounded() {
    Random random = new Random(7);
    ArrayDeque<EndedCall> window = new ArrayDeque<>();
    long now = 1_000_000;
    long memory = 30_000;
    long peakBytes = 0;
    for (int i = 0; i < 400_000; i++) { // ~40 MB of records through the log, ~3 MB remembered
      now += i % 100_000 == 0 ? 2 * memory : 1; // a quiet spell: everything is forgotten
      store.forgetEndedBy(now - memory);
      while (!window.isEmpty() && window.peekFirst().endedAt() <= now - memory) {
        EndedCall gone = window.pollFirst();
        assertNull(store.find(gone.org(), gone.request().callId()), "forgotten: " + gone);
      }
      assertEquals(window.size(), store.size());
      EndedCall call = randomCall(random, now);
      if (store.find(call.org(), call.request().callId()) == null) {
        store.add(call);
        window.addLast(call);
      }
      if (i % 1_000 == 0) {
        EndedCall kept = pick(random, window);
        assertEquals(kept, store.find(kept.org(), kept.request().callId()));
      }
      peakBytes = Math.max(peakBytes, store.footprintBytes());
    }
    assertTrue(peakBytes < 16 << 20, "a 30 000-call window should fit in a few chunks and an index,"
        + " but the store peaked at " + peakBytes + " bytes");
    store.forgetEndedBy(now);
    for (int round = 0; round < 20; round++) { // the index shrinks a step per forgetting pass
      store.forgetEndedBy(now);
    }
    assertEquals(0, store.size());
    assertEquals(Long.MAX_VALUE, store.oldestEndedAt());
    assertTrue(store.footprintBytes() < 5 << 20,
        "with nothing remembered only the tail chunk and a small index are left, not "
            + store.footprintBytes() + " bytes");
  }

  /**
   * A client can send call_ids that share a {@code String.hashCode} (every string of "Aa" and
   * "BB" blocks does). Filed by that hash they would fill one run of slots that each lookup
   * there walks in full; keyed SipHash spreads them like any other ids.
   */
  @Test
  void idsChosenToShareAStringHashDoNotPileUp() {
    OrgState org = orgs.get(0);
    int blocks = 14; // 2^14 ids, one String hash
    for (int bits = 0; bits < 1 << blocks; bits++) {
      StringBuilder id = new StringBuilder();
      for (int k = 0; k < blocks; k++) {
        id.append(COLLIDING[bits >> k & 1]);
      }
      store.add(new EndedCall(org,
          new Commands.Acquire(org.config.orgId(), id.toString(), "", CallType.OUTBOUND, "", "", 0,
              0),
          bits, -1, null, 0, 0, 0, EndReason.CANCELLED, 10, null));
    }
    assertEquals(1 << blocks, store.size());
    assertTrue(store.longestProbe() <= 40,
        "a lookup may walk " + store.longestProbe() + " slots of " + store.size() + " records");
  }

  @Test
  void aRecordLargerThanAChunkGetsAChunkOfItsOwn() {
    OrgState org = orgs.get(1);
    Results.Figures huge = Results.Figures.concurrency("w".repeat(5 << 20), 1, 1);
    EndedCall small = new EndedCall(org,
        new Commands.Acquire(org.config.orgId(), "small", "", CallType.OUTBOUND, "", "", 0, 0),
        1, -1, null, 0, 0, 0, EndReason.CANCELLED, 10, null);
    EndedCall big = new EndedCall(org,
        new Commands.Acquire(org.config.orgId(), "big", "", CallType.OUTBOUND, "", "", 0, 0),
        2, -1, null, 0, 0, 0, EndReason.DENIED, 11,
        new Results.Denial(DenialReason.values()[0], huge, -1));
    store.add(small);
    store.add(big);
    assertEquals(big, store.find(org, "big"));
    assertEquals(small, store.find(org, "small"));
    assertNull(store.find(orgs.get(0), "big"), "the same call_id in another org is another call");
    store.forgetEndedBy(10);
    assertNull(store.find(org, "small"));
    assertEquals(big, store.find(org, "big"));
    assertEquals(11, store.oldestEndedAt());
  }

  @Test
  void anEmptyLogKeepsOnlyTheChunkBeingWritten() {
    OrgState org = orgs.get(2);
    // Each record needs a new chunk.
    Results.Figures message = Results.Figures.concurrency("w".repeat(2 << 20), 1, 1);
    for (int round = 1; round <= 10; round++) {
      store.forgetEndedBy(round - 1); // everything: the log is empty when the next one arrives
      store.add(new EndedCall(org,
          new Commands.Acquire(
              org.config.orgId(), "c-" + round, "", CallType.OUTBOUND, "", "", 0, 0),
          round, -1, null, 0, 0, 0, EndReason.DENIED, round,
          new Results.Denial(DenialReason.values()[0], message, -1)));
    }
    assertEquals(1, store.size());
    assertTrue(store.footprintBytes() < 8 << 20, // one chunk of at most 3 bytes a char
        "chunks emptied by forgetting are dropped, but the store holds " + store.footprintBytes());
  }
}
