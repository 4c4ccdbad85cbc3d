package io.admission.server.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.loop.Applier;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Start-up: the newest snapshot, then every journal record after it, applied at its stamped time.
 * A torn last record — the server died while writing it, so it was never answered — is cut off
 * with a log line. Any other damage (a bad snapshot, a bad record with records after it, a gap
 * between segments) stops the start with a message naming the file and offset: never a silent
 * partial state. A record that decodes but whose command throws while applied is a bug, not
 * damage: the start stops with a message naming the record, the same one the live server logged
 * when it first happened.
 */
final class Recovery {
  private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

  /**
   * The recovered engine and where the journal continues; also the size of the snapshot it started
   * from and of the records replayed after it, so that the journal's rule for the next snapshot
   * goes on where the last run left it.
   */
  record Result(Engine engine, long nextEntry, long replayed, long lastNow, Path lastSegment,
      long lastSegmentLength, long snapshotBytes, long replayedBytes) {}

  /** A decoded record: the command and the loop's time for it. */
  record Stamped(Commands.Command<?> command, long stampedAt) {}

  /** A decoded snapshot file: its engine, where the journal goes on, the engine's time. */
  record SnapshotAt(Engine engine, long nextEntry, long lastNow) {}

  /** How one format's payloads decode; each failure's message says what is wrong. */
  interface Decoder {
    /** The engine a snapshot's payload holds, its ended calls filed under {@code idHashKey}. */
    SnapshotAt snapshot(InputStream payload, IdHashKey idHashKey) throws Exception;

    Stamped record(ByteBuffer payload) throws Exception;
  }

  /** Format 2: trusts the records, runs no API validation. */
  static final Decoder FORMAT2 = new Decoder() {
    @Override
    public SnapshotAt snapshot(InputStream payload, IdHashKey idHashKey) throws Exception {
      JournalCodec.ReadSnapshot read = JournalCodec.readSnapshot(payload, idHashKey);
      return new SnapshotAt(read.engine(), read.nextEntry(), read.lastNow());
    }

    @Override
    public Stamped record(ByteBuffer payload) throws Exception {
      var r = io.admission.server.journal.proto.Record.parseFrom(payload);
      return new Stamped(JournalCodec.decode(r), r.getStampedAtMillis());
    }
  };

  private Recovery() {}

  static Result run(DataDir dir, Decoder decoder, Applier applier, IdHashKey idHashKey)
      throws IOException {
    dir.deleteTemporaryFiles();
    Engine engine = new Engine(idHashKey);
    long from = 0;
    long lastNow = 0;
    long snapshotBytes = 0;
    List<Path> snapshots = dir.snapshots();
    if (!snapshots.isEmpty()) {
      Path newest = snapshots.get(0);
      SnapshotAt snapshot;
      try (InputStream payload = dir.openSnapshot(newest)) { // damage to the frame: thrown here
        try {
          snapshot = decoder.snapshot(payload, idHashKey);
        } catch (Exception e) {
          throw DataDir.damaged(newest, Records.HEADER, "not a valid snapshot: " + reason(e));
        }
      }
      engine = snapshot.engine();
      snapshotBytes = Files.size(newest) - Records.HEADER;
      from = snapshot.nextEntry();
      lastNow = snapshot.lastNow();
      if (from != DataDir.index(newest)) {
        throw DataDir.damaged(newest, Records.HEADER, "it says it covers " + from
            + " entries but is named for " + DataDir.index(newest));
      }
    }

    List<Path> segments = dir.segments();
    long next = from;
    long replayed = 0;
    long replayedBytes = 0;
    Path last = null;
    long lastLength = 0;
    for (int i = 0; i < segments.size(); i++) {
      Path segment = segments.get(i);
      long first = DataDir.index(segment);
      boolean newest = i == segments.size() - 1;
      if (!newest && DataDir.index(segments.get(i + 1)) <= from) {
        continue; // wholly inside the snapshot; left over from a crash before its deletion
      }
      if (first > next) {
        throw DataDir.damaged(segment, 0, "the journal is missing entries " + next + " to "
            + (first - 1) + " before this segment");
      }
      Replayed r = replay(segment, first, from, engine, newest, decoder, applier);
      next = first + r.entries();
      replayed += r.applied();
      replayedBytes += r.appliedBytes();
      lastNow = Math.max(lastNow, r.lastStamp());
      last = segment;
      lastLength = r.validLength();
    }
    if (next < from) {
      throw new IOException(dir.root() + ": the journal ends at entry " + next
          + " but the newest snapshot covers " + from);
    }
    LOG.log(Level.INFO, "recovered " + dir.root() + ": snapshot at entry " + from + ", "
        + replayed + " journal entries replayed");
    return new Result(engine, next, replayed, lastNow, last, lastLength, snapshotBytes, replayedBytes);
  }

  private record Replayed(long entries, long applied, long appliedBytes, long lastStamp, long validLength) {}

  private static Replayed replay(Path segment, long first, long from, Engine engine, boolean newest,
      Decoder decoder, Applier applier) throws IOException {
    // Mapped, not read into the heap: a segment can be as large as a snapshot (see
    // Journal#checkpoint), and the heap at start-up is the restored engine's.
    ByteBuffer buf;
    try (FileChannel in = FileChannel.open(segment, StandardOpenOption.READ)) {
      buf = in.map(FileChannel.MapMode.READ_ONLY, 0, in.size());
    }
    int size = buf.capacity();
    long index = first;
    long applied = 0;
    long appliedBytes = 0;
    long lastStamp = 0;
    int offset = 0;
    while (offset < size) {
      String damage = null;
      int length = 0;
      if (size - offset < Records.HEADER) {
        damage = "a record header is cut short";
      } else {
        length = buf.getInt(offset);
        int crc = buf.getInt(offset + 4);
        if (length <= 0 || length > Records.MAX_PAYLOAD) {
          damage = "impossible record length " + length;
        } else if ((long) offset + Records.HEADER + length > size) {
          damage = "the record runs past the end of the file";
        } else if (Records.crc(buf.slice(offset + Records.HEADER, length)) != crc) {
          damage = "checksum mismatch";
        }
      }
      if (damage != null) {
        boolean reachesEnd = damage.contains("past the end") || damage.contains("cut short")
            || (long) offset + Records.HEADER + length == size;
        if (newest && reachesEnd) {
          cutTornTail(segment, offset, size - offset, damage);
          return new Replayed(index - first, applied, appliedBytes, lastStamp, offset);
        }
        throw DataDir.damaged(segment, offset, damage + " (entry " + index + ")");
      }
      if (index >= from) {
        Stamped record;
        try {
          record = decoder.record(buf.slice(offset + Records.HEADER, length));
        } catch (Exception e) {
          throw DataDir.damaged(segment, offset, "entry " + index + " is not a command: " + reason(e));
        }
        try {
          applier.apply(record.command(), engine, record.stampedAt());
        } catch (RuntimeException | Error e) {
          LOG.log(Level.DEBUG, "replaying entry " + index + " threw", e);
          throw new IOException(
              Applier.failure(index, segment + ", byte offset " + offset, record.command(), e)
              + ". Nothing was changed on disk; start a server with the fix for this bug (the"
              + " record is then applied as written), or restore the data directory from a backup");
        }
        engine.drainEvents(); // replay re-creates state; its events were delivered long ago
        lastStamp = record.stampedAt();
        applied++;
        appliedBytes += Records.HEADER + length;
      }
      offset += Records.HEADER + length;
      index++;
    }
    return new Replayed(index - first, applied, appliedBytes, lastStamp, offset);
  }

  private static String reason(Exception e) {
    return e instanceof InvalidProtocolBufferException ? "not a protobuf record (" + e.getMessage() + ")"
        : e.getMessage();
  }

  private static void cutTornTail(Path segment, int offset, int bytes, String damage) throws IOException {
    LOG.log(Level.WARNING, segment + ": cut off a torn last record at byte offset " + offset + " ("
        + bytes + " bytes, " + damage + "): the server stopped while writing it, so it was never"
        + " answered");
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      channel.truncate(offset);
      channel.force(true);
    }
  }
}
