package io.admission.server.journal;

import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.Applier;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which format a data directory is in, and the one-time conversion of format 1 (commands stored as
 * admission.v1 requests) to format 2 (the engine's own commands). The {@code FORMAT} file names
 * the format; format 1 had none. Conversion replays the format 1 files as that version did, writes
 * the state as a format 2 snapshot, then {@code FORMAT}, then deletes the format 1 files. A crash
 * before {@code FORMAT} is written leaves format 1 as it was, to be converted again; a crash after
 * it leaves format 1 files that are deleted at the next start.
 */
final class DataFormat {
  private static final System.Logger LOG = System.getLogger(DataFormat.class.getName());
  static final String FILE = "FORMAT";
  static final int CURRENT = 2;

  private DataFormat() {}

  /** Makes {@code dir} (taken through its lock) a format 2 directory, or says why it cannot be. */
  static void prepare(DataDir dir, IdHashKey idHashKey) throws IOException {
    Path file = dir.root().resolve(FILE);
    DataDir format1 = dir.as(DataDir.FORMAT1);
    if (Files.exists(file)) {
      int format = read(file);
      if (format != CURRENT) {
        throw new IOException(dir.root() + " holds data format " + format + "; this server reads"
            + " format " + CURRENT + " (and converts format 1): start the version that wrote it");
      }
      for (Path leftover : format1.files()) {
        Files.deleteIfExists(leftover); // a conversion was cut short after FORMAT was written
      }
      return;
    }
    if (!format1.files().isEmpty()) {
      convert(dir, format1, idHashKey);
    }
    dir.writeAtomically(FILE, CURRENT + "\n");
  }

  private static int read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8).trim();
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw DataDir.damaged(file, 0, "not a format number: \"" + text + "\"");
    }
  }

  private static void convert(DataDir dir, DataDir format1, IdHashKey idHashKey) throws IOException {
    LOG.log(Level.INFO, "converting " + dir.root() + " from data format 1 to " + CURRENT);
    for (Path stale : dir.files()) {
      Files.deleteIfExists(stale); // from a conversion cut short before FORMAT was written
    }
    Recovery.Result old = Recovery.run(format1, Format1.DECODER, Applier.ENGINE, idHashKey);
    Engine engine = old.engine();
    Snapshots.Taken state = Snapshots.take(engine);
    dir.writeSnapshot(out -> JournalCodec.writeSnapshot(state, 0, out), 0);
    dir.writeAtomically(FILE, CURRENT + "\n");
    for (Path done : format1.files()) {
      Files.deleteIfExists(done);
    }
    dir.syncDirectory();
    LOG.log(Level.INFO, "converted " + dir.root() + " to data format " + CURRENT + " ("
        + old.nextEntry() + " format 1 entries)");
  }
}
