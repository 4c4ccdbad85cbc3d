package io.admission.server.journal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The layout of {@code --data-dir}: {@code LOCK}, {@code FORMAT} (the format's number), journal
 * segments {@code <segment prefix><first entry>.log} and snapshots {@code <snapshot prefix><next
 * entry>.snap}, numbers zero-padded so names sort. Each format has its own prefixes ({@link
 * Names}), so files of two formats are never mistaken for each other. New files and renames are
 * followed by an fsync of the directory, so that a crash cannot lose a file whose contents were
 * synced.
 */
final class DataDir {
  /** The file names of one format. */
  record Names(String segment, String snapshot) {}

  /** Format 2: the engine's own commands (admission/journal/v2). */
  static final Names FORMAT2 = new Names("journal-", "state-");
  /** Format 1: admission.v1 requests (admission/journal/v1); only read, to convert. */
  static final Names FORMAT1 = new Names("segment-", "snapshot-");

  private final Path root;
  private final String segmentPrefix;
  private final String snapshotPrefix;

  DataDir(Path root, Names names) {
    this.root = root;
    this.segmentPrefix = names.segment();
    this.snapshotPrefix = names.snapshot();
  }

  /** The same directory, seen through another format's names. */
  DataDir as(Names names) {
    return new DataDir(root, names);
  }

  Path root() {
    return root;
  }

  /** One server per directory: two writers would interleave records. */
  FileLock lock() throws IOException {
    Files.createDirectories(root);
    FileChannel channel = FileChannel.open(
        root.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null; // held by this same process
    }
    if (lock == null) {
      channel.close();
      throw new IOException("another admission server is using --data-dir " + root);
    }
    return lock;
  }

  List<Path> segments() throws IOException {
    return list(segmentPrefix, ".log");
  }

  /** Newest first. */
  List<Path> snapshots() throws IOException {
    List<Path> all = list(snapshotPrefix, ".snap");
    all.sort(Comparator.comparingLong(DataDir::index).reversed());
    return all;
  }

  static long index(Path file) {
    String name = file.getFileName().toString();
    return Long.parseLong(name.substring(name.indexOf('-') + 1, name.lastIndexOf('.')));
  }

  FileChannel createSegment(long firstEntry) throws IOException {
    FileChannel channel = FileChannel.open(root.resolve(name(segmentPrefix, firstEntry, ".log")),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    syncDirectory();
    return channel;
  }

  /**
   * A snapshot is synced every so many bytes while it is written, not only at its end. Every
   * answer waits for the journal's fsync on the same disk; a snapshot of 100 MB left dirty in the
   * page cache and synced at once puts the whole 100 MB ahead of the journal's next fsync (the
   * kernel writes it back in one go). Synced in pieces, the journal waits behind one piece at most.
   */
  static final int SNAPSHOT_SYNC_BYTES = 4 << 20;

  /** Writes to a channel and fsyncs it every {@code every} bytes. */
  private static final class SyncedEvery extends OutputStream {
    private final FileChannel out;
    private final OutputStream stream;
    private final long every;
    private long unsynced;

    SyncedEvery(FileChannel out, long every) {
      this.out = out;
      this.stream = Channels.newOutputStream(out);
      this.every = every;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      stream.write(b, off, len);
      unsynced += len;
      if (unsynced >= every) {
        out.force(false);
        unsynced = 0;
      }
    }
  }

  /** What writes a snapshot's payload. */
  interface Payload {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Written to a temporary file, synced, renamed into place, directory synced. The payload is
   * streamed into the file and its checksum computed on the way, so that no more of it than a
   * buffer is in memory; the record header goes in front once its length and checksum are
   * known. Returns the payload's size.
   */
  long writeSnapshot(Payload payload, long nextEntry) throws IOException {
    Path target = root.resolve(name(snapshotPrefix, nextEntry, ".snap"));
    Path temp = root.resolve(target.getFileName() + ".tmp");
    long length;
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      out.position(Records.HEADER);
      CRC32C crc = new CRC32C();
      // Closing the stream would close the channel: flushed instead.
      OutputStream stream = new BufferedOutputStream(
          new CheckedOutputStream(new SyncedEvery(out, SNAPSHOT_SYNC_BYTES), crc), 1 << 16);
      payload.writeTo(stream);
      stream.flush();
      length = out.position() - Records.HEADER;
      if (length > Integer.MAX_VALUE) {
        throw new IOException("the snapshot at entry " + nextEntry + " is " + length
            + " bytes; a record holds at most " + Integer.MAX_VALUE);
      }
      ByteBuffer header = ByteBuffer.allocate(Records.HEADER);
      header.putInt((int) length).putInt((int) crc.getValue()).flip();
      while (header.hasRemaining()) {
        out.write(header, header.position());
      }
      out.force(true);
    }
    move(temp, target);
    syncDirectory();
    return length;
  }

  private static void move(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * The payload of a snapshot file as a stream (the caller closes it), once its length and
   * checksum are right; else an IOException naming the file and what is wrong. The checksum is
   * checked over the whole file first, streamed through a buffer, so that damage is reported as
   * damage rather than as whatever parsing damaged bytes runs into.
   */
  InputStream openSnapshot(Path file) throws IOException {
    FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = in.size();
      if (size < Records.HEADER) {
        throw damaged(file, 0, "shorter than a record header");
      }
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      buf.limit(Records.HEADER);
      while (buf.hasRemaining() && in.read(buf) >= 0) {
        // reads the header
      }
      int length = buf.getInt(0);
      int crc = buf.getInt(4);
      if (length < 0 || length != size - Records.HEADER) {
        throw damaged(file, 0, "length field " + length + " does not match the file size " + size);
      }
      CRC32C computed = new CRC32C();
      buf.clear();
      while (in.read(buf) > 0) {
        buf.flip();
        computed.update(buf);
        buf.clear();
      }
      if ((int) computed.getValue() != crc) {
        throw damaged(file, Records.HEADER, "checksum mismatch");
      }
      in.position(Records.HEADER);
      return new BufferedInputStream(Channels.newInputStream(in), 1 << 16);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** After a snapshot at {@code nextEntry}: older segments and snapshots are no longer needed. */
  void deleteCoveredBy(long nextEntry) throws IOException {
    for (Path segment : segments()) {
      if (index(segment) < nextEntry) {
        Files.deleteIfExists(segment);
      }
    }
    for (Path snapshot : snapshots()) {
      if (index(snapshot) < nextEntry) {
        Files.deleteIfExists(snapshot);
      }
    }
    syncDirectory();
  }

  /** Left by a crash while a snapshot was being written; never read. */
  void deleteTemporaryFiles() throws IOException {
    for (Path temp : list(snapshotPrefix, ".tmp")) {
      Files.deleteIfExists(temp);
    }
  }

  static IOException damaged(Path file, long offset, String what) {
    return new IOException(file + " is damaged at byte offset " + offset + ": " + what
        + ". The server will not start from a partial state; restore the data directory from a"
        + " backup or move the damaged file away if losing what it holds is acceptable.");
  }

  private List<Path> list(String prefix, String suffix) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(root, prefix + "*" + suffix)) {
      files.forEach(out::add);
    }
    out.sort(Comparator.comparing(Path::toString));
    return out;
  }

  private static String name(String prefix, long index, String suffix) {
    return String.format("%s%020d%s", prefix, index, suffix);
  }

  /** The segment file that starts at {@code firstEntry}, whether or not it exists yet. */
  Path segment(long firstEntry) {
    return root.resolve(name(segmentPrefix, firstEntry, ".log"));
  }

  /** Every file of this format's names: segments, snapshots and snapshots being written. */
  List<Path> files() throws IOException {
    List<Path> all = new ArrayList<>(list(segmentPrefix, ".log"));
    all.addAll(list(snapshotPrefix, ".snap"));
    all.addAll(list(snapshotPrefix, ".tmp"));
    return all;
  }

  /** Writes {@code text} to {@code name} atomically: a temporary file, synced, renamed. */
  void writeAtomically(String name, String text) throws IOException {
    Path target = root.resolve(name);
    Path temp = root.resolve(name + ".tmp");
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        out.write(buf);
      }
      out.force(true);
    }
    move(temp, target);
    syncDirectory();
  }

  void syncDirectory() throws IOException {
    try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
