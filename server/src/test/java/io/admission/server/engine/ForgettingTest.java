package io.admission.server.engine;

import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.ORG;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.numberLimits;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Logins and numbers with no active call, no held call, no counted start and no limits of their
 * own are forgotten — at the moment the last of those ends, the same in an engine restored from
 * a snapshot — so that memory follows the logins in use, not every login ever seen.
 */
class ForgettingTest {
  /** Midnight UTC after {@link SeatFixture#T0}. */
  private static final long MIDNIGHT = Instant.parse("2026-06-17T00:00:00Z").toEpochMilli();

  @Test
  void loginIsForgottenWhenItsLastStartLeavesTheWindow() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.release("c1", T0 + MINUTE);
    assertEquals(Set.of("alice"), logins(f), "its start still counts");
    assertEquals(1, f.loginLine("alice", T0 + HOUR - 1).lastWindow());

    f.tick(T0 + HOUR - 1);
    assertEquals(Set.of("alice"), logins(f));
    f.tick(T0 + HOUR);

    assertEquals(Set.of(), logins(f), "the start left the rolling hour");
    assertEquals(0, f.engine.timers.size(), "nor is a timer left for it");
    assertTrue(f.status(T0 + HOUR).logins().isEmpty());
  }

  @Test
  void aLoginThatNeverStartedIsForgottenWhenItsCallEnds() {
    SeatFixture f = new SeatFixture(org().limit(1), T0);
    f.granted(call("c1").login("bob"), T0);
    f.held(call("c2").login("alice"), T0 + 1); // waits for the pool, not for alice
    assertEquals(Set.of("alice", "bob"), logins(f), "a held call keeps its login");

    f.release("c2", T0 + 2); // cancelled

    assertEquals(Set.of("bob"), logins(f));
  }

  @Test
  void ownLimitsKeepALoginUntilGivenUp() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(5, null, null), T0);
    f.tick(T0 + 2 * HOUR);
    assertEquals(Set.of("alice"), logins(f));

    f.setLoginLimits("alice", LoginLimits.INHERIT, T0 + 2 * HOUR);

    assertEquals(Set.of(), logins(f));
  }

  @Test
  void aShorterWindowForgetsSooner() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.release("c1", T0 + SECOND);

    f.putOrg(org().loginDefaults(loginLimits(null, null, 10 * MINUTE)), T0 + 20 * MINUTE);

    assertEquals(Set.of(), logins(f), "its start left the new window at once");
  }

  @Test
  void numberIsKeptWhileItsDayCountsThenForgottenAtMidnight() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").number("+15550001"), T0);
    f.release("c1", T0 + MINUTE);

    f.tick(T0 + 2 * HOUR);
    assertEquals(Set.of("+15550001"), numbers(f), "the day's count still counts");
    assertEquals(1, f.numberLine("+15550001", T0 + 2 * HOUR).today());
    f.tick(MIDNIGHT - 1);
    assertEquals(Set.of("+15550001"), numbers(f));
    f.tick(MIDNIGHT);

    assertEquals(Set.of(), numbers(f));
    assertEquals(0, f.engine.timers.size());
  }

  @Test
  void numberWithOwnCapsIsKept() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits("+15550001", numberLimits(10, null, null), T0);
    f.tick(T0 + 3 * SeatFixture.DAY);
    assertEquals(Set.of("+15550001"), numbers(f));
    f.setNumberLimits("+15550001", NumberLimits.INHERIT, T0 + 3 * SeatFixture.DAY);
    assertEquals(Set.of(), numbers(f));
  }

  @Test
  void aRestoredEngineKeepsTheSameAndForgetsAtTheSameMoment() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice").number("+1555"), T0);
    f.granted(call("c2").login("bob"), T0 + 10 * MINUTE);
    f.release("c1", T0 + 20 * MINUTE);
    f.setLoginLimits("carol", loginLimits(1, null, null), T0 + 20 * MINUTE);

    Engine restored = Snapshots.restore(Snapshots.capture(f.engine), IdHashKey.PUBLIC);

    assertEquals(f.engine.timers.describe(), restored.timers.describe());
    for (long at : new long[] {T0 + HOUR - 1, T0 + HOUR, T0 + 2 * HOUR, MIDNIGHT - 1, MIDNIGHT}) {
      f.engine.advance(at);
      restored.advance(at);
      assertEquals(kept(f.engine), kept(restored), "at " + Instant.ofEpochMilli(at));
      assertEquals(f.engine.timers.describe(), restored.timers.describe());
      if (at == T0 + 2 * HOUR) {
        assertEquals(Set.of("bob", "carol"), logins(f), "bob runs a call, carol has limits");
        assertEquals(Set.of("+1555"), numbers(f), "its day still counts");
      }
    }
    assertEquals(Set.of("carol"), logins(f), "bob's lease expired an hour before midnight");
    assertEquals(Set.of(), numbers(f));
  }

  /**
   * 200,000 logins, each with one call, pass through one org: once their windows have passed,
   * the org keeps none of them and no timer is left. The heavy version measures the heap
   * (ManyLoginsHeapTest).
   */
  @Test
  void manyDistinctLoginsLeaveNothingBehind() {
    SeatFixture f = new SeatFixture(org().limit(1_000), T0);
    int logins = 200_000;
    long now = T0;
    for (int i = 0; i < logins; i++) {
      now += 10; // 200,000 calls in 33 minutes
      String id = "c" + i;
      f.granted(call(id).login("login-" + i), now);
      f.release(id, now);
    }
    assertEquals(logins, logins(f).size(), "all inside the rolling hour");

    f.tick(now + HOUR);

    assertEquals(0, f.engine.org(ORG).logins.size());
    assertEquals(0, f.engine.org(ORG).numbers.size());
    assertEquals(0, f.engine.timers.size());
  }

  private static Set<String> logins(SeatFixture f) {
    return new TreeSet<>(f.engine.org(ORG).logins.keySet());
  }

  private static Set<String> numbers(SeatFixture f) {
    return new TreeSet<>(f.engine.org(ORG).numbers.keySet());
  }

  private static String kept(Engine e) {
    OrgState o = e.org(ORG);
    return "logins " + new TreeSet<>(o.logins.keySet()) + " numbers "
        + new TreeSet<>(o.numbers.keySet());
  }
}
