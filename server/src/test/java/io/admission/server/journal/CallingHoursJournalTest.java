package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.admission.server.api.Sentences;
import io.admission.server.engine.CallType;
import io.admission.server.engine.CallingHours;
import io.admission.server.engine.Commands;
import io.admission.server.engine.DenialReason;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.OrgField;
import io.admission.server.engine.Results;
import io.admission.server.engine.Snapshots;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Calling hours survive a restart: the settings in PutOrg and UpdateOrg records, and in a
 * snapshot the settings and a call they denied, with the figures its sentence is made from.
 */
class CallingHoursJournalTest {
  private static final long NIGHT = Instant.parse("2026-06-16T22:00:00Z").toEpochMilli();
  private static final CallingHours HOURS = new CallingHours(List.of(
      new CallingHours.Window(DayOfWeek.MONDAY, 9 * 60, 20 * 60),
      new CallingHours.Window(DayOfWeek.SATURDAY, 10 * 60, 24 * 60)), Set.of(CallType.CHAT));
  private static final OrgConfig ORG = new OrgConfig("acme", 3, Optional.empty(),
      ZoneId.of("Europe/Paris"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT,
      HOURS);

  @Test
  void commandsKeepTheirCallingHours() throws Exception {
    for (Commands.Command<?> c : List.of(new Commands.PutOrg(ORG),
        new Commands.UpdateOrg(ORG, EnumSet.of(OrgField.CALLING_HOURS)))) {
      assertEquals(c, JournalCodec.decode(JournalCodec.encode(c, NIGHT)));
    }
  }

  @Test
  void aSnapshotKeepsTheHoursAndTheDenialsFigures() throws Exception {
    Engine engine = new Engine();
    engine.putOrg(new Commands.PutOrg(ORG), NIGHT);
    Results.Denied denied = assertInstanceOf(Results.Denied.class, engine.acquire(
        new Commands.Acquire("acme", "c1", "", CallType.CHAT, "", "", 0, 0), NIGHT));
    assertEquals(DenialReason.CALLING_HOURS, denied.denial().reason());

    EngineSnapshot snapshot = Snapshots.capture(engine);
    EngineSnapshot read = JournalCodec.decode(JournalCodec.encode(snapshot, 2));
    assertEquals(snapshot, read);
    Engine restored = Snapshots.restore(read, IdHashKey.PUBLIC);
    Results.Ended ended = assertInstanceOf(Results.Ended.class, restored.watch("acme", "c1", NIGHT));
    assertEquals(Sentences.denial(denied.denial()), Sentences.ended(ended));
    assertEquals("denied: org acme takes chat calls only in its calling hours (Mon 09:00–20:00,"
        + " Sat 10:00–24:00, Europe/Paris); it opens again at 2026-06-20 08:00:00 UTC",
        Sentences.ended(ended));
    assertInstanceOf(Results.Denied.class, restored.acquire(
        new Commands.Acquire("acme", "c2", "", CallType.CHAT, "", "", 0, 0), NIGHT + 1));
  }
}
