package io.admission.server.journal;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.time.ZoneOffset;

/**
 * A journal run in a JVM of its own, started by {@link SnapshotHeapTest} with a small heap.
 * {@code fill <dir> <calls>}: a durable server's life — {@code calls} calls acquired and
 * released through the journal (so the engine remembers each), a snapshot of that state, a few
 * more calls after it in the journal — ended by {@link Runtime#halt}, as a {@code kill -9} ends
 * it. {@code check <dir> <calls>}: the next start — recovery from that snapshot and journal —
 * and every call still remembered: a retried Acquire of each is answered "call ended", never
 * granted afresh. Prints "filled" or "checked" and exits 0; anything else exits non-zero.
 */
final class RememberedCallsProcess {
  static final int AFTER_SNAPSHOT = 1_000;
  private static final long T0 = 1_780_000_000_000L;

  private static final LoginLimits UNLIMITED_LOGINS = new LoginLimits(OptionalInt.of(1_000_000),
      OptionalInt.of(1_000_000_000), OptionalLong.of(60_000));
  private static final NumberLimits UNLIMITED_NUMBERS = new NumberLimits(
      OptionalInt.of(1_000_000_000), OptionalInt.of(1_000_000_000), OptionalInt.of(1_000_000));

  private RememberedCallsProcess() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    int calls = Integer.parseInt(args[2]);
    if (args[0].equals("fill")) {
      fill(dir, calls);
      System.out.println("filled");
      System.out.flush();
      Runtime.getRuntime().halt(0); // no close: the next start recovers as after a kill -9
    } else {
      check(dir, calls);
      System.out.println("checked");
    }
  }

  private static void fill(Path dir, int calls) throws Exception {
    // A snapshot is due at every checkpoint, and only this test calls one: once every call is in.
    Journal journal = Journal.open(dir, new Journal.Options(64L << 20, 1, Long.MAX_VALUE));
    Engine engine = journal.engine();
    long now = T0;
    apply(journal, engine, new Commands.PutOrg(new OrgConfig("org", 1_000, Optional.empty(),
        ZoneOffset.UTC, OptionalLong.empty(), UNLIMITED_LOGINS, UNLIMITED_NUMBERS)), now);
    for (int i = 0; i < calls; i++) {
      callAndEnd(journal, engine, i, now + i / 1_000);
      if (i % 256 == 255) {
        journal.commit();
      }
    }
    journal.flush();
    report("filled");
    long at = now + calls / 1_000;
    // -Dfill.noSnapshot: the journal alone, to measure what the rest of the life and a replay need.
    if (!Boolean.getBoolean("fill.noSnapshot")) {
      journal.checkpoint(engine, at);
      journal.awaitSnapshot();
      if (journal.snapshotFailures() > 0) {
        throw new IllegalStateException("the snapshot was not written (see the log)");
      }
    }
    for (int i = calls; i < calls + AFTER_SNAPSHOT; i++) {
      callAndEnd(journal, engine, i, at);
    }
    journal.flush();
  }

  private static void callAndEnd(Journal journal, Engine engine, int i, long now) throws Exception {
    Commands.Acquire acquire = acquire(i);
    if (!(apply(journal, engine, acquire, now) instanceof Results.Granted)) {
      throw new IllegalStateException("call " + i + " was not granted");
    }
    apply(journal, engine, new Commands.Release("org", acquire.callId()), now);
  }

  static Commands.Acquire acquire(int i) {
    return new Commands.Acquire("org", "call-" + i + "-8f2c9a71", "agent-" + i % 500,
        CallType.OUTBOUND, "login-" + i % 200, "+1555" + (1_000_000 + i % 5_000), 60_000, 0);
  }

  private static Object apply(Journal journal, Engine engine, Commands.Command<?> c, long now)
      throws Exception {
    Object result = c.applyTo(engine, now);
    engine.drainEvents(); // as the loop does: events go out, the engine keeps none
    journal.append(c, now);
    return result;
  }

  /** With -Dheap.report: the heap in use after a full collection, to measure the state's size. */
  private static void report(String when) {
    if (Boolean.getBoolean("heap.report")) {
      System.gc();
      Runtime rt = Runtime.getRuntime();
      System.out.println("heap " + when + ": " + (rt.totalMemory() - rt.freeMemory()) + " bytes");
      System.out.flush();
      try {
        Thread.sleep(Long.getLong("heap.pause", 0));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void check(Path dir, int calls) throws Exception {
    try (Journal journal = Journal.open(dir, Journal.Options.DEFAULT)) {
      Engine engine = journal.engine();
      report("recovered");
      long now = T0 + calls / 1_000 + 10;
      for (int i = 0; i < calls + AFTER_SNAPSHOT; i++) {
        Object answer = acquire(i).applyTo(engine, now);
        if (!(answer instanceof Rejection r && r.reason() instanceof Rejection.CallEnded)) {
          throw new IllegalStateException("call " + i + " is no longer remembered: " + answer);
        }
      }
    }
  }
}
