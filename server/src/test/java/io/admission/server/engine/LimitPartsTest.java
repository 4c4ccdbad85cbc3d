package io.admission.server.engine;

import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dailyCap;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.numberLimits;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Each limit keeps its own part of a snapshot, under its name, and shows its own part of the
 * org's status; the generic code only asks them in order. Older snapshots, whose orgs had the
 * logins' windows, the numbers' counts and the daily count as fixed fields, restore to the same
 * engine.
 */
class LimitPartsTest {
  private static final String NUM = "+15551230000";

  /** An org where the logins, the numbers and the daily cap all have something to keep. */
  private static SeatFixture busy() {
    SeatFixture f = new SeatFixture(
        org().limit(5).dailyCap(dailyCap(10)).numberDefaults(numberLimits(5, 5, 5)), T0);
    f.setLoginLimits("alice", loginLimits(1, 10, HOUR), T0);
    f.granted(call("c1").login("alice").number(NUM), T0 + 1);
    f.granted(call("c2").login("bob").number(NUM), T0 + 2);
    f.held(call("c3").login("alice"), T0 + 3);
    f.release("c2", T0 + 4);
    return f;
  }

  @Test
  void everyLimitHasItsOwnName() {
    Set<String> names = new HashSet<>();
    Limits.ORDER.forEach(l -> assertTrue(names.add(l.name()), "two limits named " + l.name()));
  }

  @Test
  void aSnapshotKeepsEachLimitsPartUnderItsNameInTheOrderOfLimits() {
    EngineSnapshot s = Snapshots.capture(busy().engine);
    EngineSnapshot.Org org = s.orgs().get(0);
    assertEquals(List.of("logins", "numbers", "daily_cap"),
        org.limits().stream().map(EngineSnapshot.LimitPart::limit).toList(),
        "the pool and calling hours keep nothing the calls and settings do not give");
    assertEquals(List.of("alice", "bob"),
        org.limits().get(0).entries().stream().map(EngineSnapshot.Entry::key).toList());
    assertEquals(List.of(new EngineSnapshot.Entry("", List.of(T0 / (24 * HOUR), 2L))),
        org.limits().get(2).entries(), "the day and its 2 outbound calls");
    assertEquals(s, Snapshots.capture(Snapshots.restore(s, IdHashKey.PUBLIC)));
  }

  @Test
  void anOrgWithTheOldFixedFieldsRestoresAsTheOneWithParts() {
    EngineSnapshot s = Snapshots.capture(busy().engine);
    EngineSnapshot.Org o = s.orgs().get(0);
    // The fields as the older server wrote them, read off the parts by their documented layouts.
    List<EngineSnapshot.LoginWindow> windows = new ArrayList<>();
    List<EngineSnapshot.NumberCounts> numbers = new ArrayList<>();
    long dailyDay = Long.MIN_VALUE;
    int dailyUsed = 0;
    for (EngineSnapshot.LimitPart p : o.limits()) {
      for (EngineSnapshot.Entry e : p.entries()) {
        List<Long> v = e.values();
        switch (p.limit()) {
          case "logins" -> windows.add(
              new EngineSnapshot.LoginWindow(e.key(), v.subList(1, v.size()), v.get(0)));
          case "numbers" -> numbers.add(new EngineSnapshot.NumberCounts(
              e.key(), v.subList(3, v.size()), v.get(1), v.get(2).intValue(), v.get(0)));
          case "daily_cap" -> {
            dailyDay = v.get(0);
            dailyUsed = v.get(1).intValue();
          }
          default -> throw new AssertionError(p.limit());
        }
      }
    }
    EngineSnapshot old = new EngineSnapshot(s.nextSeq(), s.lastNow(), List.of(
        EngineSnapshot.Org.withFixedFields(o.config(), o.reservations(), o.loginOverrides(),
            o.numberOverrides(), windows, numbers, dailyDay, dailyUsed, o.calls())));
    assertEquals(s, old, "read into the parts their limits write");
    assertEquals(s, Snapshots.capture(Snapshots.restore(old, IdHashKey.PUBLIC)));
  }

  @Test
  void aPartOfALimitThisServerDoesNotHaveIsRefusedNotDropped() {
    EngineSnapshot s = Snapshots.capture(busy().engine);
    EngineSnapshot.Org o = s.orgs().get(0);
    List<EngineSnapshot.LimitPart> parts = new ArrayList<>(o.limits());
    parts.add(new EngineSnapshot.LimitPart(
        "surge_guard", List.of(new EngineSnapshot.Entry("", List.of(1L)))));
    EngineSnapshot newer = new EngineSnapshot(s.nextSeq(), s.lastNow(),
        List.of(new EngineSnapshot.Org(o.config(), o.reservations(), o.loginOverrides(),
            o.numberOverrides(), parts, o.calls())));
    IllegalArgumentException e = assertThrows(
        IllegalArgumentException.class, () -> Snapshots.restore(newer, IdHashKey.PUBLIC));
    assertEquals("snapshot: org acme has parts for [surge_guard], limits this server does not"
        + " have", e.getMessage());
  }

  @Test
  void theStatusHasEachLimitsPartInTheOrderOfLimits() {
    SeatFixture f = busy();
    StatusView.Org s = f.status(T0 + 5);
    assertEquals(
        List.of(StatusView.Logins.class, StatusView.Numbers.class, StatusView.Pool.class,
            StatusView.Daily.class),
        s.parts().stream().map(Object::getClass).toList(),
        "no calling hours part for an org without calling hours");
    assertNull(s.part(CallingHours.Now.class));
    assertEquals(1, s.inUse());
    assertEquals(2, s.daily().used());

    Engine engine = f.engine;
    CallingHours hours = new CallingHours(
        List.of(new CallingHours.Window(DayOfWeek.TUESDAY, 9 * 60, 17 * 60)), Set.of());
    assertInstanceOf(Results.OrgView.class, engine.putOrg(new Commands.PutOrg(new OrgConfig(
        SeatFixture.ORG, 5, Optional.empty(), java.time.ZoneId.of("UTC"), OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT, hours)), T0 + 7));
    StatusView.Org open =
        assertInstanceOf(StatusView.Org.class, engine.status(SeatFixture.ORG, T0 + 8));
    // 16 June 2026 is a Tuesday; 09:30 UTC is inside 09:00-17:00, which closes at 17:00.
    assertEquals(new CallingHours.Now(true, T0 + 7 * HOUR + 30 * 60_000, Set.of(CallType.OUTBOUND)),
        open.part(CallingHours.Now.class));
    assertEquals(StatusView.Pool.class, open.parts().get(2).getClass());
    assertEquals(CallingHours.Now.class, open.parts().get(3).getClass(), "after the pool");
  }

  @Test
  void aRecreatedOrgStartsWithFreshCountsOfItsOwn() {
    SeatFixture f = new SeatFixture(org().dailyCap(dailyCap(10)), T0);
    f.granted(call("c1"), T0 + 1);
    f.release("c1", T0 + 2);
    assertEquals(1, f.dailyUsed(T0 + 3));
    assertInstanceOf(Results.OrgDeleted.class,
        f.engine.deleteOrg(new Commands.DeleteOrg(SeatFixture.ORG), T0 + 4));
    f.putOrg(org().dailyCap(dailyCap(10)), T0 + 5);
    assertEquals(0, f.dailyUsed(T0 + 6), "the daily count was the deleted org's");
  }
}
