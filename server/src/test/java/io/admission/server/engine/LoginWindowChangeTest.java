package io.admission.server.engine;

import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * What a login's rolling window counts when the window itself changes (SetLoginLimits, or the
 * org's login_defaults): the starts that already left the window in force until the change are
 * forgotten at that moment, and the rest count under the new window. Made shorter and then longer
 * again, a window therefore counts only the starts that were still inside the shorter one when it
 * was lengthened — whatever was read, decided or snapshotted in between, so that a replay of the
 * command log reaches the same decisions.
 */
class LoginWindowChangeTest {
  /** alice may start 3 calls per 10 min; starts at T0, T0+1 min, T0+2 min, each ended at once. */
  private static SeatFixture threeStarts(SeatFixture f) {
    for (int i = 0; i < 3; i++) {
      f.granted(call("s" + i).login("alice"), T0 + i * MINUTE);
      f.release("s" + i, T0 + i * MINUTE);
    }
    f.events();
    return f;
  }

  private static SeatFixture.Org tenMinutes() {
    return org().loginDefaults(loginLimits(0, 3, 10 * MINUTE));
  }

  @Test
  void aWindowMadeLongerAgainCountsOnlyTheStartsInsideTheShorterOneWhenItChanged() {
    SeatFixture f = threeStarts(new SeatFixture(tenMinutes(), T0));
    f.setLoginLimits("alice", loginLimits(null, null, MINUTE), T0 + 150 * SECOND);
    f.setLoginLimits("alice", LoginLimits.INHERIT, T0 + 165 * SECOND);

    assertEquals(1, f.loginLine("alice", T0 + 3 * MINUTE).lastWindow(), "only T0+2 min");
    f.granted(call("d1").login("alice"), T0 + 3 * MINUTE);
    f.granted(call("d2").login("alice"), T0 + 3 * MINUTE + SECOND);
    Results.Hold hold = f.held(call("d3").login("alice"), T0 + 3 * MINUTE + 2 * SECOND);
    assertEquals(HoldReason.LOGIN_RATE, hold.reason());
    assertEquals(OptionalLong.of(T0 + 12 * MINUTE), hold.readyAt(), "when T0+2 min leaves");
  }

  @Test
  void theSameHoldsWhenTheOrgsLoginDefaultsChangeTheWindow() {
    SeatFixture f = threeStarts(new SeatFixture(tenMinutes(), T0));
    f.putOrg(org().loginDefaults(loginLimits(0, 3, MINUTE)), T0 + 150 * SECOND);
    f.putOrg(tenMinutes(), T0 + 165 * SECOND);

    assertEquals(1, f.loginLine("alice", T0 + 3 * MINUTE).lastWindow());
    f.granted(call("d1").login("alice"), T0 + 3 * MINUTE);
  }

  @Test
  void aWindowChangedWhileStartsAreStillInsideKeepsThemAll() {
    SeatFixture f = threeStarts(new SeatFixture(tenMinutes(), T0));
    f.setLoginLimits("alice", loginLimits(null, null, 5 * MINUTE), T0 + 3 * MINUTE);
    f.setLoginLimits("alice", loginLimits(null, null, 60 * MINUTE), T0 + 4 * MINUTE);

    assertEquals(3, f.loginLine("alice", T0 + 30 * MINUTE).lastWindow(),
        "none had left the 5 min window at T0+4 min");
    assertEquals(OptionalLong.of(T0 + 60 * MINUTE),
        f.held(call("d1").login("alice"), T0 + 30 * MINUTE).readyAt());
  }

  @Test
  void startsThatLeftTheWindowAreNotKeptEvenWithTheRateLimitOff() {
    SeatFixture f = new SeatFixture(org().loginDefaults(loginLimits(0, 0, MINUTE))
        .numberDefaults(SeatFixture.numberLimits(null, 0, null)), T0);
    for (int i = 0; i < 100; i++) {
      f.granted(call("s" + i).login("alice").number("+15550001"), T0 + i * 10 * SECOND);
      f.release("s" + i, T0 + i * 10 * SECOND);
    }
    OrgState org = f.engine.org(SeatFixture.ORG);
    int kept = org.logins.get("alice").starts.toArray().length;
    assertTrue(kept <= 7, "a 1 min window at one start per 10 s holds at most 7, kept " + kept);
    int hour = org.numbers.get("+15550001").starts.toArray().length;
    assertEquals(100, hour, "all 100 starts are inside the number's rolling hour");
    f.granted(call("late").number("+15550001"), T0 + 3 * 60 * MINUTE);
    assertEquals(1, org.numbers.get("+15550001").starts.toArray().length,
        "the number's rolling hour keeps only what is inside it");
  }
}
