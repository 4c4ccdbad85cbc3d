package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.admission.server.api.Sentences;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Results;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.proto.Snapshot;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * A snapshot written while holds and denials kept their words rather than their figures still
 * restores: the figures are derived from the restored state, and the sentences read as before.
 * The resource was captured from that server: org acme (Europe/Paris, daily cap 2, one call per
 * login) with c1 (alice) and c2 (bob) running, c3 held on alice, c4 denied by the daily cap.
 */
class WordsOnlySnapshotTest {
  private static final long T0 = 1_767_261_600_000L; // 2026-01-01T10:00:00Z

  @Test
  void aSnapshotWithWordsRestoresWithFigures() throws Exception {
    Snapshot proto;
    try (InputStream in = getClass().getResourceAsStream("format2/state-with-messages.bin")) {
      proto = Snapshot.parseFrom(in.readAllBytes());
    }
    EngineSnapshot snapshot = JournalCodec.decode(proto);
    Engine engine = Snapshots.restore(snapshot, IdHashKey.PUBLIC);

    Results.Held held = assertInstanceOf(Results.Held.class, engine.watch("acme", "c3", T0 + 5000));
    assertEquals("held: login alice has 1/1 calls active; it starts when one ends",
        Sentences.hold(held.hold()));
    Results.Ended denied = assertInstanceOf(Results.Ended.class, engine.watch("acme", "c4", T0 + 5000));
    assertEquals("denied: org acme reached its daily cap of 2 calls; it resets at midnight"
        + " Europe/Paris, 2026-01-01 23:00:00 UTC", Sentences.ended(denied));

    // Taken again, the snapshot keeps the figures, and restores to the same state.
    EngineSnapshot again = Snapshots.capture(engine);
    assertEquals(again, JournalCodec.decode(JournalCodec.encode(again, 4)));
    assertEquals(again, Snapshots.capture(Snapshots.restore(again, IdHashKey.PUBLIC)));

    // It goes on from there: alice's call ends, and the held call, re-checked, meets the cap.
    engine.release(new Commands.Release("acme", "c1"), T0 + 6000);
    Results.Ended c3 = assertInstanceOf(Results.Ended.class, engine.watch("acme", "c3", T0 + 6000));
    assertEquals(Sentences.ended(denied), Sentences.ended(c3));
  }
}
