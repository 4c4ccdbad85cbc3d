package io.admission.server.audit;

import static io.admission.server.loop.SteppedLoop.putOrg;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.admission.server.engine.Commands;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.OrgField;
import io.admission.server.loop.SteppedLoop;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** UpdateOrg and DeleteOrg are audited, and the event says what changed. */
class OrgChangesAuditTest {
  @Test
  void anUpdateSaysWhatChangedAndADeleteIsRecordedOnlyWhenTheOrgExisted() throws Exception {
    try (SteppedLoop loop = new SteppedLoop();
        AuditLog audit = AuditLog.inMemory(AuditLog.Options.DEFAULT, InstantSource.system())) {
      loop.loop.observe(audit.recorder());
      loop.run(putOrg("acme", 10, 100));
      OrgConfig values = new OrgConfig("acme", 20, Optional.empty(), ZoneId.of("Europe/Paris"),
          OptionalLong.empty(),
          new LoginLimits(OptionalInt.of(0), OptionalInt.empty(), OptionalLong.empty()),
          NumberLimits.INHERIT);
      loop.run(new Commands.UpdateOrg(values, EnumSet.of(
          OrgField.CONCURRENCY_LIMIT, OrgField.TIME_ZONE, OrgField.LOGIN_MAX_CONCURRENT)));
      loop.run(new Commands.UpdateOrg(values, EnumSet.of(OrgField.TIME_ZONE))); // the same again
      loop.run(new Commands.UpdateOrg(values, EnumSet.of(OrgField.CONCURRENCY_LIMIT)));
      loop.run(new Commands.DeleteOrg("acme"));
      loop.run(new Commands.DeleteOrg("acme")); // nothing to delete: not recorded

      audit.awaitWritten();
      List<AuditEvent> events = AuditLogTest.all(audit, "acme");
      assertEquals(List.of(
          AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED,
          AuditEventKind.AUDIT_EVENT_KIND_ORG_UPDATED,
          AuditEventKind.AUDIT_EVENT_KIND_ORG_UPDATED,
          AuditEventKind.AUDIT_EVENT_KIND_ORG_UPDATED,
          AuditEventKind.AUDIT_EVENT_KIND_ORG_DELETED),
          events.stream().map(AuditEvent::getKind).toList(), events::toString);
      AuditEvent updated = events.get(1);
      assertEquals("updated: concurrency_limit 10 → 20; time_zone Z → Europe/Paris;"
          + " login_defaults.max_concurrent inherited → off", updated.getMessage());
      assertEquals(20, updated.getOrg().getConcurrencyLimit());
      assertEquals(100, updated.getOrg().getDailyCap().getCap(), "the event's org is all of it");
      assertEquals("updated time_zone: nothing changed", events.get(2).getMessage());
      assertEquals("acme", events.get(4).getOrgId());
      assertEquals("org acme deleted with its reservations, limits and counters",
          events.get(4).getMessage());
    }
  }
}
