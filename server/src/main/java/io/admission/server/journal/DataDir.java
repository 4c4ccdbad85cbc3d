package io.admission.server.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
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

/**
 * The layout of {@code --data-dir}: {@code LOCK}, journal segments {@code
 * segment-<first entry>.log} and snapshots {@code snapshot-<next entry>.snap}, numbers zero-padded
 * so names sort. New files and renames are followed by an fsync of the directory, so that a crash
 * cannot lose a file whose contents were synced.
 */
final class DataDir {
  private static final String SEGMENT = "segment-";
  private static final String SNAPSHOT = "snapshot-";
  private final Path root;

  DataDir(Path root) {
    this.root = root;
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
    return list(SEGMENT, ".log");
  }

  /** Newest first. */
  List<Path> snapshots() throws IOException {
    List<Path> all = list(SNAPSHOT, ".snap");
    all.sort(Comparator.comparingLong(DataDir::index).reversed());
    return all;
  }

  static long index(Path file) {
    String name = file.getFileName().toString();
    return Long.parseLong(name.substring(name.indexOf('-') + 1, name.lastIndexOf('.')));
  }

  FileChannel createSegment(long firstEntry) throws IOException {
    FileChannel channel = FileChannel.open(root.resolve(name(SEGMENT, firstEntry, ".log")),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    syncDirectory();
    return channel;
  }

  /** Written to a temporary file, synced, renamed into place, directory synced. */
  void writeSnapshot(byte[] payload, long nextEntry) throws IOException {
    Path target = root.resolve(name(SNAPSHOT, nextEntry, ".snap"));
    Path temp = root.resolve(target.getFileName() + ".tmp");
    ByteBuffer buf = ByteBuffer.allocate(Records.HEADER + payload.length);
    Records.write(buf, payload);
    buf.flip();
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      while (buf.hasRemaining()) {
        out.write(buf);
      }
      out.force(true);
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory();
  }

  /** The payload of a snapshot file, or an IOException naming the file and what is wrong. */
  byte[] readSnapshot(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    if (bytes.length < Records.HEADER) {
      throw damaged(file, 0, "shorter than a record header");
    }
    int length = buf.getInt();
    int crc = buf.getInt();
    if (length < 0 || length != bytes.length - Records.HEADER) {
      throw damaged(file, 0, "length field " + length + " does not match the file size " + bytes.length);
    }
    if (Records.crc(bytes, Records.HEADER, length) != crc) {
      throw damaged(file, Records.HEADER, "checksum mismatch");
    }
    byte[] payload = new byte[length];
    buf.get(payload);
    return payload;
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
    for (Path temp : list(SNAPSHOT, ".tmp")) {
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

  private void syncDirectory() throws IOException {
    try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
