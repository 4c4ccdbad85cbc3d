package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dailyCap;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Compliance Monitor: "a live line per login, which turns yellow as you approach a limit:
 * Active now: 1/2 concurrent · Last hour: 132/250", and which logins, daily and number lines it
 * shows in GetOrgStatus.
 */
class MonitorLineTest {

  /** {@code n} starts of {@code login}, one a second from {@code first}, each ended at once. */
  private static void starts(SeatFixture f, String login, int n, long first) {
    for (int i = 0; i < n; i++) {
      String id = login + "-s" + i + "@" + first;
      f.granted(call(id).login(login), first + i * SECOND);
      f.release(id, first + i * SECOND);
    }
  }

  @Test
  void theLineReadsExactlyAsTheProductDocumentShowsIt() {
    SeatFixture f = new SeatFixture();
    starts(f, "alice", 131, T0);
    long now = T0 + 10 * MINUTE;
    f.granted(call("live").login("alice"), now);

    StatusView.LoginLine line = f.loginLine("alice", now);

    assertEquals("Active now: 1/2 concurrent · Last hour: 132/250", Sentences.monitorLine(line));
    assertEquals(
        new StatusView.LoginLine("alice", 1, 2, 132, 250, HOUR, StatusView.Level.OK, 0),
        line);
  }

  @Test
  void theLastHourCountDropsAsStartsLeaveTheWindow() {
    SeatFixture f = new SeatFixture();
    starts(f, "alice", 3, T0); // T0, T0+1 s, T0+2 s
    assertEquals("Active now: 0/2 concurrent · Last hour: 3/250", Sentences.monitorLine(f.loginLine("alice", T0 + HOUR - 1)));
    assertEquals("Active now: 0/2 concurrent · Last hour: 2/250", Sentences.monitorLine(f.loginLine("alice", T0 + HOUR)));
    assertEquals("Active now: 0/2 concurrent · Last hour: 1/250", Sentences.monitorLine(f.loginLine("alice", T0 + HOUR + SECOND)));
  }

  @Test
  void aWindowOtherThanAnHourIsNamedInTheLine() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("q", loginLimits(null, 10, 15 * MINUTE), T0);
    f.setLoginLimits("h2", loginLimits(null, 500, 2 * HOUR), T0);
    f.setLoginLimits("s30", loginLimits(null, 5, 30 * SECOND), T0);
    assertEquals("Active now: 0/2 concurrent · Last 15 min: 0/10", Sentences.monitorLine(f.loginLine("q", T0)));
    assertEquals("Active now: 0/2 concurrent · Last 2 h: 0/500", Sentences.monitorLine(f.loginLine("h2", T0)));
    assertEquals("Active now: 0/2 concurrent · Last 30 s: 0/5", Sentences.monitorLine(f.loginLine("s30", T0)));
  }

  @Test
  void aLimitThatIsOffShowsNoDenominator() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("robot", loginLimits(0, 0, null), T0);
    f.granted(call("r1").login("robot"), T0);
    assertEquals("Active now: 1 concurrent · Last hour: 1", Sentences.monitorLine(f.loginLine("robot", T0)));
    f.setLoginLimits("half", loginLimits(0, null, null), T0);
    assertEquals("Active now: 0 concurrent · Last hour: 0/250", Sentences.monitorLine(f.loginLine("half", T0)));
  }

  // ---- Level ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}/{1} active, {2}/{3} last window: {4}")
  @CsvSource({
    "0, 2, 0, 250, OK",
    "1, 2, 132, 250, OK",
    "1, 2, 199, 250, OK",
    "1, 2, 200, 250, NEAR", // exactly 80 % of the window
    "1, 2, 249, 250, NEAR",
    "2, 2, 0, 250, AT_LIMIT",
    "1, 2, 250, 250, AT_LIMIT",
    "3, 5, 0, 250, OK",
    "4, 5, 0, 250, NEAR", // exactly 80 % of concurrency
    "5, 5, 0, 250, AT_LIMIT",
    "4, 5, 250, 250, AT_LIMIT", // either limit
    "7, 8, 0, 250, NEAR",
    "6, 8, 0, 250, OK",
    "99, 0, 0, 0, OK", // limits off never warn
    "99, 0, 250, 250, AT_LIMIT",
    "1, 1, 0, 0, AT_LIMIT",
  })
  void levelIsNearFromEightyPercentOfEitherLimitAndAtLimitAtEither(
      int active, int maxConcurrent, int last, int maxPerWindow, StatusView.Level level) {
    assertEquals(level, StatusView.level(active, maxConcurrent, last, maxPerWindow));
  }

  @Test
  void theLineTurnsNearThenAtLimitAsTheLoginFillsUp() {
    SeatFixture f = new SeatFixture();
    starts(f, "alice", 199, T0);
    long now = T0 + 5 * MINUTE;
    assertEquals(StatusView.Level.OK, f.loginLine("alice", now).level());
    starts(f, "alice", 1, now);
    assertEquals(StatusView.Level.NEAR, f.loginLine("alice", now).level());
    f.granted(call("a").login("alice"), now + 1);
    f.granted(call("b").login("alice"), now + 2);
    StatusView.LoginLine full = f.loginLine("alice", now + 2);
    assertEquals(StatusView.Level.AT_LIMIT, full.level());
    assertEquals("Active now: 2/2 concurrent · Last hour: 202/250", Sentences.monitorLine(full));
  }

  @Test
  void heldCallsOfALoginAreShownAsQueued() {
    SeatFixture f = new SeatFixture();
    f.granted(call("a").login("alice"), T0);
    f.granted(call("b").login("alice"), T0);
    f.held(call("c").login("alice"), T0);
    f.held(call("d").login("alice"), T0);
    StatusView.LoginLine line = f.loginLine("alice", T0);
    assertEquals(2, line.queued());
    assertEquals(2, line.active(), "held calls are not active");
    assertEquals(2, line.lastWindow(), "held calls have not started");
    assertEquals(2, f.status(T0).queued());
    assertEquals(2, f.status(T0).heldByReason()[HoldReason.LOGIN_CONCURRENCY.ordinal()]);
  }

  // ---- Which logins are listed ------------------------------------------------------------

  @Test
  void listsLoginsWithAnActiveCallACountedStartOrTheirOwnLimitsSortedById() {
    SeatFixture f = new SeatFixture();
    f.granted(call("z1").login("zoe"), T0); // active
    f.granted(call("b1").login("bob"), T0);
    f.granted(call("d1").login("dave"), T0);
    f.release("b1", T0 + 1); // a counted start in the window only
    f.release("d1", T0 + 1);
    f.setLoginLimits("carl", loginLimits(5, null, null), T0 + 1); // own limits, never called
    f.setLoginLimits("erin", loginLimits(5, null, null), T0 + 1);
    f.setLoginLimits("erin", LoginLimits.INHERIT, T0 + 1); // limits removed again

    assertEquals(List.of("bob", "carl", "dave", "zoe"), listed(f, T0 + 2));

    // An hour after their only start, bob and dave have nothing left to show; zoe is still on.
    assertEquals(List.of("bob", "carl", "dave", "zoe"), listed(f, T0 + HOUR - 1));
    assertEquals(List.of("carl", "zoe"), listed(f, T0 + HOUR));
    f.release("z1", T0 + HOUR + 1);
    assertEquals(List.of("carl"), listed(f, T0 + HOUR + 1));
  }

  private static List<String> listed(SeatFixture f, long now) {
    return f.status(now).logins().stream().map(StatusView.LoginLine::loginId).toList();
  }

  // ---- Daily and numbers ------------------------------------------------------------------

  @Test
  void dailyShowsUsedCapResetTimeAndRampDay() {
    long now = SeatFixture.at("2026-06-16T10:00", "Europe/Paris");
    DailyCap cap =
        new DailyCap(
            500,
            List.of(new DailyCap.RampStep(7, 50), new DailyCap.RampStep(14, 150)),
            java.time.LocalDate.of(2026, 6, 10),
            java.util.Set.of());
    SeatFixture f = new SeatFixture(org().zone("Europe/Paris").dailyCap(cap), now);
    f.granted(call("o1"), now);
    f.granted(call("o2"), now);
    f.granted(call("i1").type(CallType.INBOUND), now);

    assertEquals(
        new StatusView.Daily(2, 50, SeatFixture.at("2026-06-17T00:00", "Europe/Paris"), 7),
        f.status(now).daily());
  }

  @Test
  void dailyWithAFlatCapHasNoRampDay() {
    SeatFixture f = new SeatFixture(org().dailyCap(dailyCap(40)), T0);
    f.granted(call("o1"), T0);
    assertEquals(
        new StatusView.Daily(1, 40, SeatFixture.utc("2026-06-17T00:00:00Z"), 0), f.status(T0).daily());
  }

  @Test
  void numberLinesAreListedWhenUsedOrCappedAndSortedByNumber() {
    SeatFixture f = new SeatFixture();
    f.granted(call("n2").number("+2"), T0);
    f.granted(call("n1").number("+1"), T0);
    f.release("n1", T0);
    f.setNumberLimits("+3", SeatFixture.numberLimits(5, null, null), T0);
    List<StatusView.NumberLine> numbers = f.status(T0).numbers();
    assertEquals(
        List.of(
            new StatusView.NumberLine("+1", 0, 0, 1, 0, 1, 0, 0),
            new StatusView.NumberLine("+2", 1, 0, 1, 0, 1, 0, 0),
            new StatusView.NumberLine("+3", 0, 0, 0, 0, 0, 5, 0)),
        numbers);
    // The next day, numbers with nothing running, in the last hour or today drop off the list.
    long midnight = SeatFixture.utc("2026-06-17T00:00:00Z");
    f.release("n2", midnight - 1);
    assertEquals(List.of("+3"), f.status(midnight).numbers().stream().map(StatusView.NumberLine::number).toList());
  }

  // ---- Words ------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0} ms reads \"{1}\"")
  @CsvSource({
    "3600000, hour",
    "7200000, 2 h",
    "900000, 15 min",
    "5400000, 90 min",
    "30000, 30 s",
    "1500, 1500 ms",
  })
  void windowsReadAsPeopleSayThem(long millis, String words) {
    assertEquals(words, Sentences.window(millis));
  }
}
