package io.admission.server.audit;

import io.admission.server.journal.Records;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reading audit files, whose records use the journal's frame ({@link Records}: length, CRC32C,
 * payload — one {@code admission.v1.AuditEvent}) but are scanned in place rather than loaded.
 */
final class Frames {
  private Frames() {}

  private static final int HEADER = Records.HEADER;
  /** Larger lengths can only come from damage: an audit event is a few hundred bytes. */
  static final int MAX_PAYLOAD = 1 << 20;

  /** A frame that cannot be read: torn by a crash while writing, or damaged. */
  static final class Damaged extends IOException {
    private static final long serialVersionUID = 1L;
    final long offset;

    Damaged(long offset, String what) {
      super(what + " at offset " + offset);
      this.offset = offset;
    }
  }

  /**
   * Reads frames in order from {@code [from, end)} of a file with positional reads, through a
   * buffer: one read per 64 KiB. Not thread-safe; one per scan.
   */
  static final class Reader {
    private final FileChannel channel;
    private final long end;
    private ByteBuffer buf = ByteBuffer.allocate(64 << 10).flip();
    /** File offset of the byte after the buffer's last. */
    private long filled;
    /** File offset of the next frame. */
    private long position;

    Reader(FileChannel channel, long from, long end) {
      this.channel = channel;
      this.end = end;
      this.filled = from;
      this.position = from;
    }

    /** The next frame's payload, or null at {@code end}; {@link Damaged} at a bad frame. */
    byte[] next() throws IOException {
      if (position >= end) {
        return null;
      }
      if (!ensure(HEADER)) {
        throw new Damaged(position, "a torn record header");
      }
      int length = buf.getInt(buf.position());
      int crc = buf.getInt(buf.position() + 4);
      if (length < 0 || length > MAX_PAYLOAD) {
        throw new Damaged(position, "an impossible record length " + length);
      }
      if (!ensure(HEADER + length)) {
        throw new Damaged(position, "a torn record");
      }
      buf.position(buf.position() + HEADER);
      byte[] payload = new byte[length];
      buf.get(payload);
      if (Records.crc(payload, 0, length) != crc) {
        throw new Damaged(position, "a record whose checksum does not match");
      }
      position += HEADER + length;
      return payload;
    }

    /** File offset after the last frame returned. */
    long position() {
      return position;
    }

    /** Makes {@code n} bytes available in the buffer, unless the range ends first. */
    private boolean ensure(int n) throws IOException {
      if (buf.remaining() >= n) {
        return true;
      }
      if (buf.capacity() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(n);
        bigger.put(buf);
        buf = bigger;
      } else {
        buf.compact();
      }
      while (buf.position() < n && filled < end) {
        int room = (int) Math.min(buf.remaining(), end - filled);
        ByteBuffer window = buf.slice(buf.position(), room);
        int read = channel.read(window, filled);
        if (read < 0) {
          break;
        }
        buf.position(buf.position() + read);
        filled += read;
      }
      buf.flip();
      return buf.remaining() >= n;
    }
  }
}
