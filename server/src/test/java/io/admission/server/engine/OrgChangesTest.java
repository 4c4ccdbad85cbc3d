package io.admission.server.engine;

import io.admission.server.api.Refusals;

import static io.admission.server.engine.PoolFixture.HOUR;
import static io.admission.server.engine.PoolFixture.MINUTE;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.WEBCALL;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Changing orgs safely: UpdateOrg changes only the named fields, merged onto the org
 * as it is when applied; DeleteOrg refuses while calls are live and otherwise forgets the org with
 * everything under it. Engine tier, manual clock.
 */
class OrgChangesTest {
  private static final String ORG = "acme";
  private final PoolFixture f = new PoolFixture();

  /** An org with every setting given, so that a lost setting shows. */
  private static final OrgConfig FULL = new OrgConfig(
      ORG, 10,
      Optional.of(new DailyCap(500, List.of(new DailyCap.RampStep(7, 50)), LocalDate.of(2026, 3, 1),
          Set.of(OUTBOUND))),
      ZoneId.of("America/New_York"),
      OptionalLong.of(5 * MINUTE),
      new LoginLimits(OptionalInt.of(3), OptionalInt.of(100), OptionalLong.of(HOUR)),
      new NumberLimits(OptionalInt.of(40), OptionalInt.of(20), OptionalInt.of(2)));

  /** Every setting different from {@link #FULL}'s. */
  private static final OrgConfig OTHER = new OrgConfig(
      ORG, 30,
      Optional.of(new DailyCap(900, List.of(), null, Set.of(OUTBOUND, WEBCALL))),
      ZoneId.of("Europe/Paris"),
      OptionalLong.of(2 * MINUTE),
      new LoginLimits(OptionalInt.of(0), OptionalInt.empty(), OptionalLong.of(15 * MINUTE)),
      new NumberLimits(OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(9)),
      new CallingHours(List.of(new CallingHours.Window(java.time.DayOfWeek.MONDAY, 540, 1200)),
          Set.of()));

  private void put(OrgConfig config) {
    assertInstanceOf(Results.OrgView.class, f.engine.putOrg(new Commands.PutOrg(config), f.now));
  }

  private Results.AdminResult update(OrgConfig values, Set<OrgField> fields) {
    return f.engine.updateOrg(new Commands.UpdateOrg(values, fields), f.now);
  }

  private OrgConfig stored(String orgId) {
    return assertInstanceOf(Results.OrgView.class, f.engine.getOrg(orgId)).config();
  }

  private Results.AdminResult delete(String orgId) {
    return f.engine.deleteOrg(new Commands.DeleteOrg(orgId), f.now);
  }

  private static OrgConfig with(OrgConfig c, String orgId, int limit) {
    return new OrgConfig(orgId, limit, c.dailyCap(), c.timeZone(), c.defaultLeaseTtlMillis(),
        c.loginDefaults(), c.numberDefaults(), c.callingHours());
  }

  /** One field's value in a config, to compare field by field. */
  private static Object value(OrgField field, OrgConfig c) {
    return switch (field) {
      case CONCURRENCY_LIMIT -> c.concurrencyLimit();
      case DAILY_CAP -> c.dailyCap();
      case TIME_ZONE -> c.timeZone();
      case DEFAULT_LEASE_TTL -> c.defaultLeaseTtlMillis();
      case LOGIN_MAX_CONCURRENT -> c.loginDefaults().maxConcurrent();
      case LOGIN_MAX_PER_WINDOW -> c.loginDefaults().maxPerWindow();
      case LOGIN_WINDOW -> c.loginDefaults().windowMillis();
      case NUMBER_MAX_PER_DAY -> c.numberDefaults().maxPerDay();
      case NUMBER_MAX_PER_HOUR -> c.numberDefaults().maxPerHour();
      case NUMBER_MAX_CONCURRENT -> c.numberDefaults().maxConcurrent();
      case CALLING_HOURS -> c.callingHours();
    };
  }

  // ---- UpdateOrg --------------------------------------------------------------------------

  @Test
  void updatingOnlyTheLimitKeepsTheDailyCapItsRampTheTimeZoneAndTheDefaults() {
    put(FULL);
    OrgConfig values = new OrgConfig(ORG, 25, Optional.empty(), ZoneId.of("UTC"),
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT);

    Results.OrgUpdated u = assertInstanceOf(Results.OrgUpdated.class,
        update(values, EnumSet.of(OrgField.CONCURRENCY_LIMIT)));

    OrgConfig expected = new OrgConfig(ORG, 25, FULL.dailyCap(), FULL.timeZone(),
        FULL.defaultLeaseTtlMillis(), FULL.loginDefaults(), FULL.numberDefaults());
    assertEquals(FULL, u.before());
    assertEquals(expected, u.after());
    assertEquals(expected, stored(ORG));
    assertEquals(25, f.status(ORG).limit(), "takes effect at once");
  }

  @ParameterizedTest
  @EnumSource(OrgField.class)
  void eachFieldChangesItselfAndNothingElse(OrgField field) {
    put(FULL);

    OrgConfig after = assertInstanceOf(Results.OrgUpdated.class, update(OTHER, EnumSet.of(field))).after();

    for (OrgField other : OrgField.values()) {
      Object expected = value(other, other == field ? OTHER : FULL);
      assertEquals(expected, value(other, after), other + " after updating " + field);
    }
    assertNotEquals(value(field, FULL), value(field, after), "the test's values differ");
    assertEquals(after, stored(ORG));
  }

  @Test
  void everyFieldNamedIsAFullReplacementThatKeepsTheId() {
    put(FULL);
    OrgConfig after = assertInstanceOf(Results.OrgUpdated.class,
        update(OTHER, EnumSet.allOf(OrgField.class))).after();
    assertEquals(OTHER, after);
  }

  @Test
  void aNamedFieldWithoutValueTakesItsUnsetMeaning() {
    put(FULL);
    OrgConfig unset = new OrgConfig(ORG, 0, Optional.empty(), ZoneId.of("UTC"),
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT);

    OrgConfig after = assertInstanceOf(Results.OrgUpdated.class, update(unset,
        EnumSet.of(OrgField.DAILY_CAP, OrgField.LOGIN_WINDOW, OrgField.DEFAULT_LEASE_TTL))).after();

    assertEquals(Optional.empty(), after.dailyCap(), "the cap is removed");
    assertEquals(OptionalLong.empty(), after.loginDefaults().windowMillis(), "inherits again");
    assertEquals(OptionalInt.of(3), after.loginDefaults().maxConcurrent(), "not named: kept");
    assertEquals(OrgConfig.FALLBACK_LEASE_TTL_MILLIS, after.leaseTtlMillis());
  }

  @Test
  void updatesOfDifferentFieldsFromTheSameStaleReadBothSurvive() {
    put(FULL);
    // Two operators read the org, then each changes one field: the merge happens at apply time.
    OrgConfig stale = stored(ORG);
    update(new OrgConfig(ORG, 40, stale.dailyCap(), stale.timeZone(), stale.defaultLeaseTtlMillis(),
        stale.loginDefaults(), stale.numberDefaults()), EnumSet.of(OrgField.CONCURRENCY_LIMIT));
    update(new OrgConfig(ORG, stale.concurrencyLimit(), stale.dailyCap(), ZoneId.of("Asia/Tokyo"),
        stale.defaultLeaseTtlMillis(), stale.loginDefaults(), stale.numberDefaults()),
        EnumSet.of(OrgField.TIME_ZONE));

    assertEquals(40, stored(ORG).concurrencyLimit());
    assertEquals(ZoneId.of("Asia/Tokyo"), stored(ORG).timeZone());
  }

  @Test
  void updatingAnUnknownOrgIsNotFoundAndCreatesNothing() {
    Rejection r = assertInstanceOf(Rejection.class,
        update(with(OTHER, "ghost", 30), EnumSet.of(OrgField.CONCURRENCY_LIMIT)));
    assertEquals(Rejection.Kind.NOT_FOUND, r.kind());
    assertEquals("org ghost does not exist", Refusals.text(r));
    assertEquals(0, f.engine.orgCount());
  }

  @Test
  void aLimitBelowTheReservationsIsRefusedNamingTheTotalsAndChangesNothing() {
    put(FULL);
    f.reserve(ORG, "A", OUTBOUND, 6);

    Rejection r = assertInstanceOf(Rejection.class,
        update(with(OTHER, ORG, 5), EnumSet.of(OrgField.CONCURRENCY_LIMIT, OrgField.TIME_ZONE)));

    assertEquals(Rejection.Kind.FAILED_PRECONDITION, r.kind());
    assertEquals("org.concurrency_limit", r.field());
    assertTrue(Refusals.text(r).contains("concurrency_limit 5 is below the 6 slots reserved"),
        Refusals.text(r));
    assertEquals(FULL, stored(ORG), "the time zone did not change either");
  }

  @Test
  void raisingTheLimitDispatchesAHeldCallAndLoweringItEndsNoCall() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "c2", "A", OUTBOUND);
    f.events();

    update(PoolFixture.orgConfig(ORG, 2, OptionalLong.empty()), EnumSet.of(OrgField.CONCURRENCY_LIMIT));

    assertEquals(List.of("c2"), f.dispatched());
    update(PoolFixture.orgConfig(ORG, 1, OptionalLong.empty()), EnumSet.of(OrgField.CONCURRENCY_LIMIT));
    assertEquals(List.of(), f.events(), "no call ends");
    assertTrue(f.isActive(ORG, "c1") && f.isActive(ORG, "c2"));
  }

  // ---- DeleteOrg --------------------------------------------------------------------------

  @Test
  void deletingAnOrgWithActiveOrHeldCallsIsRefusedNamingTheCountsAndChangesNothing() {
    f.org(ORG, 3);
    f.reserve(ORG, "A", OUTBOUND, 1);
    f.grantMany(ORG, "a", 3, "A", OUTBOUND);
    f.holdMany(ORG, "h", 2, "B", OUTBOUND);

    Rejection r = assertInstanceOf(Rejection.class, delete(ORG));

    assertEquals(Rejection.Kind.FAILED_PRECONDITION, r.kind());
    assertEquals("org_id", r.field());
    assertEquals("org acme has 3 active and 2 held calls; release or cancel them first",
        Refusals.text(r));
    f.assertPool(ORG, 3, 2, 2, 2);
    assertEquals(1, assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG)).reservations().size());

    // The releases dispatch h1 and h2: still refused while they run; deleted once none is live.
    for (int i = 1; i <= 3; i++) {
      f.release(ORG, "a" + i);
    }
    assertEquals("org acme has 2 active and 0 held calls; release or cancel them first",
        Refusals.text(assertInstanceOf(Rejection.class, delete(ORG))));
    f.release(ORG, "h1");
    f.release(ORG, "h2");
    assertEquals(new Results.OrgDeleted(ORG, true), delete(ORG));
  }

  @Test
  void aDeletedOrgIsGoneAndOneCreatedAgainWithItsIdStartsEmpty() {
    put(FULL);
    f.org("other", 5);
    f.reserve(ORG, "A", OUTBOUND, 4);
    f.engine.setLoginLimits(new Commands.SetLoginLimits(ORG, "alice",
        new LoginLimits(OptionalInt.of(1), OptionalInt.empty(), OptionalLong.empty())), f.now);
    f.granted(PoolFixture.request(ORG, "c1", "A", OUTBOUND, 0, 0));
    f.release(ORG, "c1"); // remembered as ended for 10 minutes
    assertEquals(1, f.status(ORG).daily().used());

    assertEquals(new Results.OrgDeleted(ORG, true), delete(ORG));

    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.engine.getOrg(ORG)).kind());
    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.engine.status(ORG, f.now)).kind());
    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.engine.watch(ORG, "c1", f.now)).kind());
    Results.OrgPage page = assertInstanceOf(Results.OrgPage.class, f.engine.listOrgs("", 10));
    assertEquals(List.of("other"), page.orgs().stream().map(OrgConfig::orgId).toList());
    assertEquals(1, f.engine.orgCount());

    f.advance(MINUTE); // well within the 10 minutes c1 would be remembered
    put(FULL);
    Results.OrgView fresh = assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG));
    assertEquals(List.of(), fresh.reservations());
    assertEquals(List.of(), fresh.loginOverrides());
    assertEquals(0, f.status(ORG).daily().used());
    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.engine.watch(ORG, "c1", f.now)).kind(),
        "the old org's ended call is not the new org's");
    f.granted(ORG, "c1", "A", OUTBOUND); // a call_id used before the delete is usable again
  }

  @Test
  void deletingAnUnknownOrgSucceedsSayingItDidNotExist() {
    f.org(ORG, 1);
    assertEquals(new Results.OrgDeleted(ORG, true), delete(ORG));
    assertEquals(new Results.OrgDeleted(ORG, false), delete(ORG));
    assertEquals(new Results.OrgDeleted("never", false), delete("never"));
  }

  @Test
  void aDeletedOrgsWindowTimerNeverFires() {
    OrgConfig oneAnHour = new OrgConfig(ORG, 5, Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(),
        new LoginLimits(OptionalInt.empty(), OptionalInt.of(1), OptionalLong.of(HOUR)),
        NumberLimits.INHERIT);
    put(oneAnHour);
    f.granted(PoolFixture.withLogin(ORG, "c1", "A", OUTBOUND, "alice"));
    Results.Hold hold = f.held(PoolFixture.withLogin(ORG, "c2", "A", OUTBOUND, "alice"));
    assertEquals(HoldReason.LOGIN_RATE, hold.reason()); // alice's window timer is set for c2
    f.release(ORG, "c1");
    f.release(ORG, "c2"); // cancels the held call; the window timer stays
    assertEquals(new Results.OrgDeleted(ORG, true), delete(ORG));

    assertDoesNotThrow(() -> f.advance(2 * HOUR));
    put(oneAnHour); // and with the id taken again
    assertDoesNotThrow(() -> f.advance(2 * HOUR));
    f.granted(PoolFixture.withLogin(ORG, "c3", "A", OUTBOUND, "alice"));
  }

  @Test
  void aSnapshotLeavesOutTheEndedCallsOfADeletedOrg() {
    f.org(ORG, 2);
    f.granted(ORG, "old", "A", OUTBOUND);
    f.release(ORG, "old");
    delete(ORG);
    f.org(ORG, 2);
    f.granted(ORG, "new", "A", OUTBOUND);
    f.release(ORG, "new");

    EngineSnapshot s = Snapshots.capture(f.engine);

    assertEquals(1, s.orgs().size());
    assertEquals(List.of("new"),
        s.orgs().get(0).calls().stream().map(c -> c.request().callId()).toList());
    Engine restored = Snapshots.restore(s, IdHashKey.PUBLIC);
    assertInstanceOf(Results.Granted.class, restored.acquire(
        PoolFixture.request(ORG, "old", "A", OUTBOUND, 0, 0), f.now));
    assertFalse(restored.acquire(PoolFixture.request(ORG, "new", "A", OUTBOUND, 0, 0), f.now)
        instanceof Results.Granted, "the live org's ended call is still remembered");
  }
}
