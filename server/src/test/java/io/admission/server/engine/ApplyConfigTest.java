package io.admission.server.engine;

import io.admission.server.api.Refusals;

import static io.admission.server.engine.PoolFixture.CHAT;
import static io.admission.server.engine.PoolFixture.INBOUND;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.WEBCALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Changing orgs safely: a config file is applied as one change, all of it or none of
 * it; for each org listed it creates the org or replaces its settings and sets what it lists, and
 * leaves everything it does not list as it is.
 */
class ApplyConfigTest {
  private static final LoginLimits ONE_AT_A_TIME =
      new LoginLimits(OptionalInt.of(1), OptionalInt.empty(), OptionalLong.empty());
  private static final NumberLimits TEN_A_DAY =
      new NumberLimits(OptionalInt.of(10), OptionalInt.empty(), OptionalInt.empty());
  private final PoolFixture f = new PoolFixture();

  @Test
  void createsEveryOrgWithWhatItLists() {
    Results.ConfigApplied applied = applied(
        setup("acme", 10, List.of(reservation("A", INBOUND, 3)),
            List.of(new Results.LoginOverride("alice", ONE_AT_A_TIME)),
            List.of(new Results.NumberOverride("+15550100", TEN_A_DAY))),
        setup("tiny", 2, List.of()));

    assertEquals(2, f.engine.orgCount());
    assertEquals(List.of("acme", "tiny"), applied.orgs().stream().map(v -> v.config().orgId()).toList());
    assertEquals(List.of(true, true), applied.orgs().stream().map(Results.OrgView::created).toList());
    Results.OrgView acme = view("acme");
    assertEquals(List.of(reservation("A", INBOUND, 3)), acme.reservations());
    assertEquals(List.of(new Results.LoginOverride("alice", ONE_AT_A_TIME)), acme.loginOverrides());
    assertEquals(List.of(new Results.NumberOverride("+15550100", TEN_A_DAY)), acme.numberOverrides());
    assertEquals(7, f.status("acme").sharedCapacity());
  }

  @Test
  void replacesTheSettingsOfAnExistingOrgAndLeavesWhatItDoesNotListAsItIs() {
    f.org("acme", 10);
    f.reserve("acme", "A", INBOUND, 3);
    f.reserve("acme", "B", CHAT, 2);
    f.engine.setLoginLimits(new Commands.SetLoginLimits("acme", "bob", ONE_AT_A_TIME), f.now);
    f.org("other", 4);

    Results.ConfigApplied applied = applied(setup("acme", 12, List.of(reservation("A", INBOUND, 5))));

    Results.OrgView acme = view("acme");
    assertEquals(false, applied.orgs().get(0).created());
    assertEquals(12, acme.config().concurrencyLimit());
    assertEquals(List.of(reservation("A", INBOUND, 5), reservation("B", CHAT, 2)), acme.reservations());
    assertEquals(List.of(new Results.LoginOverride("bob", ONE_AT_A_TIME)), acme.loginOverrides());
    assertEquals(4, view("other").config().concurrencyLimit());
  }

  @Test
  void aReservationOfZeroRemovesIt() {
    f.org("acme", 10);
    f.reserve("acme", "A", INBOUND, 3);
    applied(setup("acme", 10, List.of(reservation("A", INBOUND, 0))));
    assertEquals(List.of(), view("acme").reservations());
    assertEquals(List.of(), f.status("acme").agents(), "an idle agent without reservations is forgotten");
  }

  @Test
  void reservationsOverTheLimitAnywhereRefuseTheWholeConfigAndChangeNothing() {
    f.org("acme", 10);
    f.reserve("acme", "A", INBOUND, 3);
    Commands.ApplyConfig config = new Commands.ApplyConfig(List.of(
        setup("acme", 20, List.of(reservation("A", INBOUND, 8))),
        setup("beta", 5, List.of(reservation("X", OUTBOUND, 3), reservation("Y", CHAT, 3)))));

    Rejection r = assertInstanceOf(Rejection.class, f.engine.applyConfig(config, f.now));

    assertEquals(Rejection.Kind.FAILED_PRECONDITION, r.kind());
    assertEquals("orgs[1].reservations[1].slots", r.field());
    assertEquals("reserving 3 chat slots for agent Y would make 6 reserved in org beta, over its"
        + " concurrency limit of 5 (0 of them by reservations this config does not list)",
        Refusals.text(r));
    assertEquals(r, f.engine.configRefusal(config), "the check alone says the same");
    assertEquals(1, f.engine.orgCount(), "beta was not created");
    assertEquals(10, view("acme").config().concurrencyLimit(), "acme, listed first, is unchanged");
    assertEquals(List.of(reservation("A", INBOUND, 3)), view("acme").reservations());
  }

  @Test
  void aLimitBelowTheReservationsTheConfigDoesNotListIsRefused() {
    f.org("acme", 10);
    f.reserve("acme", "A", INBOUND, 3);
    f.reserve("acme", "B", CHAT, 4);

    Rejection r = assertInstanceOf(Rejection.class, f.engine.applyConfig(
        new Commands.ApplyConfig(List.of(setup("acme", 3, List.of(reservation("A", INBOUND, 0))))), f.now));

    assertEquals("orgs[0].org.concurrency_limit", r.field());
    assertEquals("concurrency_limit 3 is below the 4 slots reserved for agents in org acme by"
        + " reservations this config does not list; lower or remove those first", Refusals.text(r));
    assertEquals(10, view("acme").config().concurrencyLimit());
    // Listing B's lower reservation too makes the same limit fit: the listed values replace.
    applied(setup("acme", 3, List.of(reservation("A", INBOUND, 0), reservation("B", CHAT, 3))));
    assertEquals(List.of(reservation("B", CHAT, 3)), view("acme").reservations());
  }

  @Test
  void anOrgListedTwiceIsRefusedNamingBothEntries() {
    Rejection r = assertInstanceOf(Rejection.class, f.engine.applyConfig(new Commands.ApplyConfig(List.of(
        setup("acme", 10, List.of()), setup("beta", 10, List.of()), setup("acme", 5, List.of()))), f.now));
    assertEquals(Rejection.Kind.INVALID_ARGUMENT, r.kind());
    assertEquals("orgs[2].org.org_id", r.field());
    assertEquals("\"acme\" repeats orgs[0]", Refusals.text(r));
    assertEquals(0, f.engine.orgCount());
  }

  @Test
  void aReservationLoginOrNumberListedTwiceInOneOrgIsRefused() {
    Rejection r = refused(setup("acme", 10, List.of(
        reservation("A", INBOUND, 1), reservation("A", CHAT, 1), reservation("A", INBOUND, 2))));
    assertEquals("orgs[0].reservations[2]", r.field());
    assertEquals("agent A's inbound reservation repeats reservations[0]", Refusals.text(r));

    r = refused(setup("acme", 10, List.of(), List.of(
        new Results.LoginOverride("alice", ONE_AT_A_TIME),
        new Results.LoginOverride("alice", LoginLimits.INHERIT)), List.of()));
    assertEquals("orgs[0].login_limits[1]", r.field());
    assertEquals("login \"alice\" repeats login_limits[0]", Refusals.text(r));

    r = refused(setup("acme", 10, List.of(), List.of(), List.of(
        new Results.NumberOverride("+1", TEN_A_DAY), new Results.NumberOverride("+1", TEN_A_DAY))));
    assertEquals("orgs[0].number_limits[1]", r.field());
    assertEquals("number \"+1\" repeats number_limits[0]", Refusals.text(r));
    assertEquals(0, f.engine.orgCount());
  }

  @Test
  void moreRoomLetsHeldCallsGoAtOnce() {
    f.org("acme", 1);
    f.granted("acme", "c1", "", WEBCALL);
    f.held("acme", "c2", "", WEBCALL);
    f.events();

    applied(setup("acme", 2, List.of()));

    assertEquals(List.of("c2"), f.dispatched());
  }

  @Test
  void anEmptyConfigChangesNothing() {
    assertEquals(List.of(), applied().orgs());
    assertNull(f.engine.configRefusal(new Commands.ApplyConfig(List.of())));
    assertEquals(0, f.engine.orgCount());
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private Results.ConfigApplied applied(Commands.OrgSetup... orgs) {
    return assertInstanceOf(Results.ConfigApplied.class,
        f.engine.applyConfig(new Commands.ApplyConfig(List.of(orgs)), f.now));
  }

  private Rejection refused(Commands.OrgSetup... orgs) {
    return assertInstanceOf(Rejection.class,
        f.engine.applyConfig(new Commands.ApplyConfig(List.of(orgs)), f.now));
  }

  private Results.OrgView view(String orgId) {
    return assertInstanceOf(Results.OrgView.class, f.engine.getOrg(orgId));
  }

  private static Commands.OrgSetup setup(String orgId, int limit, List<Results.Reservation> reservations) {
    return setup(orgId, limit, reservations, List.of(), List.of());
  }

  private static Commands.OrgSetup setup(String orgId, int limit, List<Results.Reservation> reservations,
      List<Results.LoginOverride> logins, List<Results.NumberOverride> numbers) {
    return new Commands.OrgSetup(
        PoolFixture.orgConfig(orgId, limit, OptionalLong.empty()), reservations, logins, numbers);
  }

  private static Results.Reservation reservation(String agent, CallType type, int slots) {
    return new Results.Reservation(agent, type, slots);
  }
}
