package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The deadline queue: per-duration FIFO lanes threaded through the calls, plus window timers. It
 * must fire exactly what an ordered set of (time, kind, sequence or name) would, in that order.
 */
class TimerQueueTest {
  private final OrgState org =
      new OrgState(new Engine(), PoolFixture.orgConfig("org-1", 1, OptionalLong.empty()), 0);

  private Call call(long seq) {
    return new Call(org,
        new Commands.Acquire("org-1", "call-" + seq, "", CallType.OUTBOUND, "", "", 0, 0), seq,
        org.pool.pair("", CallType.OUTBOUND), null, null);
  }

  /** Sets {@code c}'s timer due at {@code at}: its lease expiry or max_wait deadline, by kind. */
  private static void schedule(TimerQueue timers, Call c, TimerQueue.Kind kind, long duration, long at) {
    if (kind == TimerQueue.Kind.LEASE_EXPIRY) {
      c.state = Call.State.ACTIVE;
      c.expiresAt = at;
    } else {
      c.state = Call.State.HELD;
      c.heldSince = at - c.maxWaitMillis;
    }
    timers.schedule(c, kind, duration);
  }

  private static List<String> fired(TimerQueue timers, long now) {
    List<String> out = new ArrayList<>();
    List<TimerQueue.Due> due;
    while (!(due = timers.pollDue(now)).isEmpty()) {
      for (TimerQueue.Due d : due) {
        out.add(d.at() + " " + d.kind() + " " + d.seq() + " " + d.name());
      }
    }
    return out;
  }

  @Test
  void timersOfOneInstantFireByKindThenSequenceWhateverTheirLane() {
    TimerQueue timers = new TimerQueue();
    // Scheduled out of canonical order, in three lanes and the window set, all due at 100.
    schedule(timers, call(7), TimerQueue.Kind.LEASE_EXPIRY, 60, 100);
    schedule(timers, call(3), TimerQueue.Kind.LEASE_EXPIRY, 90, 100);
    schedule(timers, call(5), TimerQueue.Kind.WAIT_DEADLINE, 60, 100);
    schedule(timers, call(1), TimerQueue.Kind.WAIT_DEADLINE, 30, 100);
    timers.schedule(100, TimerQueue.Kind.WINDOW, org, "b", new Object());
    timers.schedule(100, TimerQueue.Kind.WINDOW, org, "a", new Object());
    schedule(timers, call(2), TimerQueue.Kind.LEASE_EXPIRY, 60, 101);
    assertEquals(7, timers.size());
    assertEquals(100, timers.nextDeadline());
    assertTrue(timers.pollDue(99).isEmpty());
    List<TimerQueue.Due> first = timers.pollDue(1_000);
    assertEquals(
        List.of("LEASE_EXPIRY 3", "LEASE_EXPIRY 7", "WAIT_DEADLINE 1", "WAIT_DEADLINE 5",
            "WINDOW 0 org-1\0a", "WINDOW 0 org-1\0b"),
        first.stream().map(d -> d.kind() + " " + d.seq() + (d.name().isEmpty() ? "" : " " + d.name())).toList());
    assertEquals(101, timers.nextDeadline(), "one instant per poll");
    assertEquals(1, timers.size());
  }

  @Test
  void cancellingAnyCallKeepsTheRestInOrder() {
    TimerQueue timers = new TimerQueue();
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Call c = call(i);
      calls.add(c);
      schedule(timers, c, TimerQueue.Kind.LEASE_EXPIRY, 50, 10 * i);
    }
    timers.cancel(calls.get(0)); // head
    timers.cancel(calls.get(2)); // middle
    timers.cancel(calls.get(4)); // tail
    timers.cancel(calls.get(4)); // twice: nothing
    assertEquals(List.of("10 LEASE_EXPIRY 1 ", "30 LEASE_EXPIRY 3 "), fired(timers, 1_000));
    assertEquals(0, timers.size());
    assertEquals(Long.MAX_VALUE, timers.nextDeadline());
    Call again = calls.get(1);
    schedule(timers, again, TimerQueue.Kind.LEASE_EXPIRY, 50, 2_000); // a fired call may be set again
    assertEquals(2_000, timers.nextDeadline());
    assertThrows(IllegalStateException.class,
        () -> timers.schedule(again, TimerQueue.Kind.LEASE_EXPIRY, 5), "one timer per call");
  }

  @Test
  void matchesAnOrderedSetOnASeededRandomRun() {
    long seed = 20261123L;
    Random random = new Random(seed);
    TimerQueue timers = new TimerQueue();
    TreeSet<String> reference = new TreeSet<>(); // "at kind seq" with fixed widths sorts canonically
    List<Call> scheduled = new ArrayList<>();
    long now = 0;
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(10);
      if (op < 5) {
        Call c = call(step);
        long duration = 10 * (1 + random.nextInt(4));
        TimerQueue.Kind kind = random.nextBoolean() ? TimerQueue.Kind.LEASE_EXPIRY : TimerQueue.Kind.WAIT_DEADLINE;
        // Mostly now + duration, as the engine does; sometimes earlier, as a restore might.
        long at = random.nextInt(20) == 0 ? now + random.nextInt((int) duration) : now + duration;
        schedule(timers, c, kind, duration, at);
        reference.add(key(at, kind, c.seq));
        scheduled.add(c);
      } else if (op < 7 && !scheduled.isEmpty()) {
        Call c = scheduled.remove(random.nextInt(scheduled.size()));
        if (c.timerLane != null) {
          reference.remove(key(c.timerAt(), c.timerLane.kind, c.seq));
          timers.cancel(c);
        }
      } else {
        now += random.nextInt(15);
        List<TimerQueue.Due> due;
        while (!(due = timers.pollDue(now)).isEmpty()) {
          for (TimerQueue.Due d : due) {
            assertEquals(reference.pollFirst(), key(d.at(), d.kind(), d.seq()), "seed " + seed + " step " + step);
          }
        }
        assertTrue(reference.isEmpty() || Long.parseLong(reference.first().substring(0, 12)) > now,
            "seed " + seed + " step " + step);
      }
      assertEquals(reference.size(), timers.size(), "seed " + seed + " step " + step);
    }
  }

  private static String key(long at, TimerQueue.Kind kind, long seq) {
    return String.format("%012d %d %08d", at, kind.ordinal(), seq);
  }
}
