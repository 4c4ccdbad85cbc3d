package io.admission.server.audit;

import io.admission.server.api.InvalidRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32C;

/**
 * ListEvents page tokens: where the next page starts, bound to the query that produced it. Opaque
 * to clients (URL-safe base64 of 28 bytes); the checksum covers the query, so a token used with
 * another org or time range, or altered, is refused rather than misread.
 */
final class PageToken {
  private static final int BYTES = 3 * Long.BYTES + Integer.BYTES;

  private PageToken() {}

  static String encode(AuditStore.Position p, Scan scan) {
    ByteBuffer b = ByteBuffer.allocate(BYTES);
    b.putLong(p.sequence()).putLong(p.segment()).putLong(p.offset());
    b.putInt(check(p.sequence(), p.segment(), p.offset(), scan));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /** The position in {@code token}, or null for an empty token (the first page). */
  static AuditStore.Position decode(String token, Scan scan) throws InvalidRequest {
    if (token.isEmpty()) {
      return null;
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    if (bytes.length == BYTES) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      long sequence = b.getLong();
      long segment = b.getLong();
      long offset = b.getLong();
      if (b.getInt() == check(sequence, segment, offset, scan) && offset >= 0) {
        return new AuditStore.Position(sequence, segment, offset);
      }
    }
    throw new InvalidRequest("page_token",
        "is not a next_page_token of a ListEvents response with this org_id, start_time and end_time");
  }

  private static int check(long sequence, long segment, long offset, Scan scan) {
    CRC32C crc = new CRC32C();
    ByteBuffer b = ByteBuffer.allocate(5 * Long.BYTES);
    b.putLong(sequence).putLong(segment).putLong(offset).putLong(scan.startMillis).putLong(scan.endMillis);
    crc.update(b.array());
    if (scan.orgId != null) {
      crc.update(scan.orgId.getBytes(StandardCharsets.UTF_8));
    }
    return (int) crc.getValue();
  }
}
