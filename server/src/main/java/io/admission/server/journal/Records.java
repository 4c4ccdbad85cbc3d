package io.admission.server.journal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The record frame shared by journal segments, snapshot files and audit files: a 4-byte
 * big-endian payload length, the payload's 4-byte CRC32C, then the payload (a protobuf message).
 */
public final class Records {
  private Records() {}

  public static final int HEADER = 8;
  /** Larger lengths can only come from damage: no command or org comes near it. */
  static final int MAX_PAYLOAD = 64 << 20;

  public static void write(ByteBuffer buf, byte[] payload) {
    buf.putInt(payload.length);
    buf.putInt(crc(payload, 0, payload.length));
    buf.put(payload);
  }

  /** The CRC32C of {@code bytes}' remaining bytes; moves their position to the limit. */
  static int crc(ByteBuffer bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }

  public static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }
}
