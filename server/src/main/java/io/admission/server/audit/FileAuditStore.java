package io.admission.server.audit;

import io.admission.server.journal.Records;
import io.admission.v1.AuditEvent;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit log on disk, in {@code <data-dir>/audit/}: files {@code audit-<first sequence>.log}
 * (zero-padded, so names sort) of CRC32C-framed {@code AuditEvent} records ({@link Frames}). A new
 * file starts with each UTC day, when a file reaches its size limit, and at each start, so a file
 * is never appended to after a restart: a torn tail left by a crash stays where it is, and reads
 * stop there.
 *
 * <p>Written by the audit writer thread only ({@link #append}, {@link #sync}, {@link #prune});
 * read by any thread. Readers open the file themselves and read no further than {@link
 * Segment#end}, which the writer publishes only after a write completed, so they never see half a
 * record. Retention deletes whole files: a file goes once the next file starts no later than the
 * cutoff (so nothing in it is newer); the newest file always stays, which keeps the sequence going
 * across restarts.
 */
final class FileAuditStore implements AuditStore {
  private static final System.Logger LOG = System.getLogger(FileAuditStore.class.getName());
  private static final Pattern NAME = Pattern.compile("audit-(\\d{20})\\.log");
  private static final long DAY_MILLIS = 86_400_000L;
  private static final long UNKNOWN = Long.MIN_VALUE;

  /** One file. */
  static final class Segment {
    final Path path;
    final long firstSequence;
    /** Bytes of whole records: readers stop here. */
    volatile long end;
    /** Time of its first record; read once, when first needed. */
    private volatile long firstMillis = UNKNOWN;
    /** Damage inside is logged once, not at every read. */
    private volatile boolean damageLogged;

    Segment(Path path, long firstSequence, long end) {
      this.path = path;
      this.firstSequence = firstSequence;
      this.end = end;
    }

    /** The first record's time, or {@link Long#MAX_VALUE} when it has none that can be read. */
    long firstMillis() throws IOException {
      long t = firstMillis;
      if (t == UNKNOWN) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
          byte[] first = new Frames.Reader(channel, 0, end).next();
          t = first == null ? Long.MAX_VALUE : AuditStore.millis(AuditEvent.parseFrom(first));
        } catch (Frames.Damaged e) {
          t = Long.MAX_VALUE;
        }
        firstMillis = t;
      }
      return t;
    }
  }

  private final Path dir;
  private final long segmentBytes;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();

  // ---- Writer thread only -----------------------------------------------------------------
  private long nextSequence;
  private Segment active;
  /** Where the next write goes in the active file; published to readers as {@code active.end}. */
  private long activeEnd;
  private FileChannel out;
  private long activeDay;
  private boolean dirty;
  private ByteBuffer pending = ByteBuffer.allocate(64 << 10);

  private FileAuditStore(Path dir, long segmentBytes) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
  }

  /**
   * Opens (or creates) the directory and finds where the sequence continues. Only the newest file
   * is read through; a damaged tail in it is left in place and logged.
   */
  static FileAuditStore open(Path dir, long segmentBytes) throws IOException {
    Files.createDirectories(dir);
    FileAuditStore store = new FileAuditStore(dir, segmentBytes);
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(dir, "audit-*.log")) {
      for (Path p : listing) {
        if (NAME.matcher(p.getFileName().toString()).matches()) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    store.nextSequence = 1;
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      long first = firstSequence(file);
      if (i < files.size() - 1) {
        store.segments.put(first, new Segment(file, first, Files.size(file)));
      } else {
        store.recoverNewest(file, first);
      }
    }
    return store;
  }

  private void recoverNewest(Path file, long first) throws IOException {
    long last = first - 1;
    long valid;
    long size;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      size = channel.size();
      Frames.Reader reader = new Frames.Reader(channel, 0, size);
      try {
        byte[] payload;
        while ((payload = reader.next()) != null) {
          last = AuditEvent.parseFrom(payload).getSequence();
        }
      } catch (Frames.Damaged e) {
        LOG.log(Level.WARNING, "audit: " + file + " ends in " + e.getMessage() + "; the "
            + (size - e.offset) + " bytes from there on are ignored (the server stopped while "
            + "writing them)");
      }
      valid = reader.position();
    }
    if (valid == 0) {
      // Nothing readable: set it aside so its name is free for the next file.
      if (size == 0) {
        Files.delete(file);
      } else {
        Files.move(file, file.resolveSibling(file.getFileName() + ".damaged"),
            StandardCopyOption.REPLACE_EXISTING);
      }
    } else {
      segments.put(first, new Segment(file, first, valid));
    }
    nextSequence = Math.max(first, last + 1);
  }

  private static long firstSequence(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not an audit file: " + file);
    }
    return Long.parseLong(m.group(1));
  }

  /** The sequence the next event gets. */
  long nextSequence() {
    return nextSequence;
  }

  // ---- Writing ----------------------------------------------------------------------------

  @Override
  public void append(List<AuditEvent.Builder> events) throws IOException {
    try {
      for (AuditEvent.Builder b : events) {
        AuditEvent event = b.setSequence(nextSequence++).build();
        long day = Math.floorDiv(AuditStore.millis(event), DAY_MILLIS);
        if (active == null || day != activeDay
            || activeEnd + pending.position() >= segmentBytes) {
          flush();
          roll(event, day);
        }
        byte[] payload = event.toByteArray();
        room(Records.HEADER + payload.length);
        Records.write(pending, payload);
      }
      flush();
    } catch (IOException | RuntimeException e) {
      // What was not written is lost (its sequences stay unused); start afresh in a new file.
      pending.clear();
      abandonActive();
      throw e;
    }
  }

  /** Writes what is pending to the active file, then lets readers see it. */
  private void flush() throws IOException {
    if (pending.position() == 0) {
      return;
    }
    pending.flip();
    while (pending.hasRemaining()) {
      activeEnd += out.write(pending, activeEnd);
    }
    pending.clear();
    active.end = activeEnd;
    dirty = true;
  }

  private void roll(AuditEvent first, long day) throws IOException {
    if (out != null) {
      out.force(false);
      out.close();
      out = null;
      dirty = false;
    }
    Path path = dir.resolve(String.format("audit-%020d.log", first.getSequence()));
    out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    syncDirectory();
    Segment segment = new Segment(path, first.getSequence(), 0);
    segment.firstMillis = AuditStore.millis(first);
    segments.put(segment.firstSequence, segment);
    active = segment;
    activeEnd = 0;
    activeDay = day;
  }

  private void abandonActive() {
    active = null;
    dirty = false;
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already failing; the next append opens a new file
      }
      out = null;
    }
  }

  @Override
  public void sync() throws IOException {
    if (dirty && out != null) {
      out.force(false);
      dirty = false;
    }
  }

  @Override
  public void prune(long cutoffMillis) throws IOException {
    List<Segment> all = new ArrayList<>(segments.values());
    for (int i = 0; i + 1 < all.size(); i++) {
      if (all.get(i + 1).firstMillis() > cutoffMillis) {
        break;
      }
      Segment old = all.get(i);
      segments.remove(old.firstSequence);
      Files.deleteIfExists(old.path);
    }
  }

  private void room(int bytes) {
    if (pending.remaining() < bytes) {
      ByteBuffer bigger =
          ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes));
      pending.flip();
      bigger.put(pending);
      pending = bigger;
    }
  }

  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the file's own syncs still hold its records.
      LOG.log(Level.DEBUG, "audit: cannot sync directory " + dir, e);
    }
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      sync();
      out.close();
      out = null;
    }
  }

  // ---- Reading ----------------------------------------------------------------------------

  @Override
  public Page read(Scan scan, Position from) throws IOException {
    Segment segment;
    long offset = 0;
    if (from != null) {
      segment = segments.get(from.segment());
      if (segment != null) {
        offset = from.offset();
      } else {
        // Its file was deleted by retention since: go on with the oldest file after it.
        Map.Entry<Long, Segment> after = segments.ceilingEntry(from.segment());
        segment = after == null ? null : after.getValue();
      }
    } else {
      segment = firstFor(scan.startMillis);
    }
    while (segment != null) {
      try (FileChannel channel = FileChannel.open(segment.path, StandardOpenOption.READ)) {
        Frames.Reader reader = new Frames.Reader(channel, offset, segment.end);
        byte[] payload;
        while ((payload = reader.next()) != null) {
          AuditEvent event = AuditEvent.parseFrom(payload);
          switch (scan.offer(event)) {
            case MORE -> { }
            case PAUSE -> {
              return scan.page(
                  new Position(event.getSequence() + 1, segment.firstSequence, reader.position()));
            }
            case END -> {
              return scan.page(null);
            }
          }
        }
      } catch (NoSuchFileException e) {
        // deleted by retention while we were about to read it: go on with the next file
      } catch (Frames.Damaged e) {
        if (!segment.damageLogged) {
          segment.damageLogged = true;
          LOG.log(Level.WARNING, "audit: " + segment.path + " holds " + e.getMessage()
              + "; what follows in it cannot be read, reading goes on in the next file");
        }
      }
      Map.Entry<Long, Segment> next = segments.higherEntry(segment.firstSequence);
      segment = next == null ? null : next.getValue();
      offset = 0;
    }
    return scan.page(null);
  }

  /** The newest file that starts at or before {@code millis}, else the oldest. */
  private Segment firstFor(long millis) throws IOException {
    Segment found = null;
    for (Segment s : segments.values()) {
      if (found != null && s.firstMillis() > millis) {
        break;
      }
      found = s;
    }
    return found;
  }
}
