package io.admission.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The calls that ended in the last {@link Engine#REMEMBER_ENDED_MILLIS}, kept as bytes rather than
 * as objects, found by (org, call_id).
 *
 * <p>Why bytes: at tens of thousands of calls a second the 10-minute memory holds millions of
 * calls. Kept as objects, each one survived every young collection and was copied into the old
 * generation (measured: 12 % of unary throughput, ~300 heap bytes a call). Here a call is one
 * record appended to a log of byte chunks, and the index is two primitive arrays, so the
 * collector has nothing per call to trace or copy, and a call costs ~80 bytes plus its index slot.
 *
 * <p>Calls end in time order, so they are forgotten from the log's head, and a chunk is dropped
 * once every record in it is forgotten. The index is open addressing with linear probing over the
 * records' log positions, beside their hashes; a removal shifts later entries back, so there are
 * no tombstones and a lookup stops at the first empty slot.
 *
 * <p>Record layout: int length (of the whole record), int hash, long endedAt, then the org's
 * serial, the Acquire, sequence, heldSince, end reason, lease and denial as varints, bytes and
 * length-prefixed UTF-8. A chunk's used part ends at its length or at a zero length.
 *
 * <p>Why not a {@code HashMap} of ended-call objects: measured side by side on 2026-12-03 against
 * a test build that kept them so (not in the tree), it held 293 heap bytes per remembered call
 * against 115 here ({@code admission-bench heap --kind ended}, HeapFootprint: 115.3 B, all of it
 * in byte, long and int arrays), and the engine with it ran at 0.35–0.48× the decisions per second
 * at 3 M remembered calls (RememberedCallsBenchmark, run on both builds), the collector copying
 * every call it kept. Nor does a map of primitives help (fastutil, Agrona): the key is a string,
 * so each entry would still be objects. And a map keyed by {@code String.hashCode} can be flooded:
 * in FloodedIdsBenchmark a {@code HashMap} fed call_ids that share one hash runs at a seventh to a
 * fifteenth of its speed on ordinary ids, where this index, keyed by {@link IdHashKey}, keeps pace.
 */
final class EndedCalls {
  private static final int FIRST_CHUNK_BYTES = 4 << 10;
  /** Just under 4 MiB: a humongous G1 array that fills whole regions, no tail left over. */
  private static final int MAX_CHUNK_BYTES = (4 << 20) - 64;
  private static final int HEADER_BYTES = 16;
  private static final int MIN_INDEX_SLOTS = 64;

  private static final CallType[] CALL_TYPES = CallType.values();
  private static final SlotKind[] SLOT_KINDS = SlotKind.values();
  private static final EndReason[] END_REASONS = EndReason.values();
  private static final DenialReason[] DENIAL_REASONS = DenialReason.values();

  /** The engine's orgs by serial; a record names its org by serial. */
  private final List<OrgState> orgsBySerial;
  /** Keys the index hash, so that clients cannot choose call_ids that collide (see there). */
  private final IdHashKey key;

  // The log: chunks by sequence number, firstChunk..tailChunk, in a ring.
  private byte[][] ring = new byte[8][];
  private int ringHead;
  private long firstChunk = 1; // a position is chunk << 32 | offset, so none is 0
  private long tailChunk = 1;
  private int tailOffset;
  private long headPosition; // the oldest remembered record, when size > 0
  /** A dropped full-size chunk, reused for the next one instead of allocating. */
  private byte[] spare;

  // The index: log positions (0 = empty) and their records' hashes.
  private long[] positions = new long[MIN_INDEX_SLOTS];
  private int[] hashes = new int[MIN_INDEX_SLOTS];
  private int size;

  // Where the record being added is written: the tail chunk, with room for its longest form.
  private byte[] out;
  private int at;

  EndedCalls(List<OrgState> orgsBySerial, IdHashKey key) {
    this.orgsBySerial = orgsBySerial;
    this.key = key;
    ring[0] = new byte[FIRST_CHUNK_BYTES];
  }

  int size() {
    return size;
  }

  /** Bytes held by the log's chunks and the index, for tests. */
  long footprintBytes() {
    long bytes = (long) positions.length * (Long.BYTES + Integer.BYTES);
    for (long c = firstChunk; c <= tailChunk; c++) {
      bytes += chunk(c).length;
    }
    return bytes;
  }

  // ---- Remembering --------------------------------------------------------------------------

  void add(EndedCall call) {
    Commands.Acquire r = call.request();
    int hash = hash(call.org().serial, r.callId());
    long position = reserve(maxBytes(call));
    encode(call, hash);
    size++;
    if (size * 2 > positions.length) {
      resize(positions.length * 2);
    }
    int mask = positions.length - 1;
    int i = hash & mask;
    while (positions[i] != 0) {
      i = (i + 1) & mask;
    }
    positions[i] = position;
    hashes[i] = hash;
  }

  /** The remembered call {@code callId} of {@code org}, or null. */
  EndedCall find(OrgState org, String callId) {
    int hash = hash(org.serial, callId);
    int mask = positions.length - 1;
    for (int i = hash & mask; positions[i] != 0; i = (i + 1) & mask) {
      if (hashes[i] == hash && names(positions[i], callId)) {
        return decode(positions[i]);
      }
    }
    return null;
  }

  /**
   * Reads the index slots where calls of these {@link #hash}es are filed, and changes nothing: a
   * batch's lookups then find their slots in the cache (see {@link Engine#readAhead}). Returns what
   * it read, only so that the reads cannot be optimized away.
   */
  long touch(int[] ofHashes, int count) {
    int mask = positions.length - 1;
    long read = 0;
    for (int k = 0; k < count; k++) {
      int i = ofHashes[k] & mask;
      read += positions[i] ^ hashes[i];
    }
    return read;
  }

  /** When the oldest remembered call ended, or {@link Long#MAX_VALUE} when none is. */
  long oldestEndedAt() {
    if (size == 0) {
      return Long.MAX_VALUE;
    }
    return readLong(chunk(headPosition >>> 32), (int) headPosition + 8);
  }

  /** Forgets every call that ended at or before {@code endedBy}, oldest first. */
  void forgetEndedBy(long endedBy) {
    while (size > 0 && oldestEndedAt() <= endedBy) {
      long next = next(headPosition);
      unindex(headPosition, readInt(chunk(headPosition >>> 32), (int) headPosition + 4));
      size--;
      if (next >>> 32 != headPosition >>> 32) {
        dropFirstChunk();
      }
      headPosition = next;
    }
    if (size * 8 < positions.length && positions.length > MIN_INDEX_SLOTS) {
      resize(positions.length / 2);
    }
  }

  /** Every remembered call, in the order they ended. */
  void forEach(Consumer<EndedCall> action) {
    long position = headPosition;
    for (int n = 0; n < size; n++) {
      action.accept(decode(position));
      position = next(position);
    }
  }

  /**
   * A copy of the log's bytes from its oldest remembered call on, for a snapshot: a copy of a few
   * arrays, with nothing per call, so that the loop thread spends a memcpy on it and the copy
   * can be read on another thread while the loop goes on. {@code orgIds} names the orgs by serial;
   * a call of a serial it names null (an org deleted since) is left out of the copy's reading.
   */
  Copy copy(String[] orgIds) {
    if (size == 0) {
      return new Copy(new byte[0][], 0, 0, orgIds);
    }
    long headChunk = headPosition >>> 32;
    byte[][] chunks = new byte[(int) (tailChunk - headChunk) + 1][];
    for (long c = headChunk; c <= tailChunk; c++) {
      byte[] chunk = chunk(c);
      // The tail chunk only as far as it is written; the others whole (their end is marked).
      chunks[(int) (c - headChunk)] = Arrays.copyOf(chunk, c == tailChunk ? tailOffset : chunk.length);
    }
    return new Copy(chunks, (int) headPosition, size, orgIds);
  }

  /**
   * Remembered calls copied by {@link #copy}: read-only, and read on any one thread. Reading
   * turns them into snapshot calls one at a time, so no more than one is an object at once.
   */
  static final class Copy {
    private final byte[][] chunks;
    private final int headOffset;
    private final int size;
    private final String[] orgIds;

    private Copy(byte[][] chunks, int headOffset, int size, String[] orgIds) {
      this.chunks = chunks;
      this.headOffset = headOffset;
      this.size = size;
      this.orgIds = orgIds;
    }

    /** Each call of an org still in the engine, in the order they ended. */
    void forEach(Consumer<EndedCall> action) {
      int chunkNo = 0;
      int offset = headOffset;
      for (int n = 0; n < size; n++) {
        byte[] chunk = chunks[chunkNo];
        if (offset + 4 > chunk.length || readInt(chunk, offset) == 0) {
          chunk = chunks[++chunkNo]; // this chunk ended here: the record is the next one's first
          offset = 0;
        }
        Reader in = new Reader(chunk, offset);
        long endedAt = readLong(chunk, offset + 8);
        in.offset += HEADER_BYTES;
        int serial = (int) in.varint();
        String orgId = serial < orgIds.length ? orgIds[serial] : null;
        if (orgId != null) {
          action.accept(decodeBody(in, null, orgId, endedAt));
        }
        offset += readInt(chunk, offset);
      }
    }
  }

  // ---- The log ------------------------------------------------------------------------------

  private byte[] chunk(long chunkNo) {
    return ring[(ringHead + (int) (chunkNo - firstChunk)) & (ring.length - 1)];
  }

  /**
   * Where the record after the one at {@code position} starts, or will start: in the same chunk,
   * or at the start of the next one when this chunk ended there (the tail chunk has not ended).
   */
  private long next(long position) {
    long chunkNo = position >>> 32;
    byte[] chunk = chunk(chunkNo);
    int offset = (int) position + readInt(chunk, (int) position);
    boolean chunkEnds =
        chunkNo != tailChunk && (offset + 4 > chunk.length || readInt(chunk, offset) == 0);
    return chunkEnds ? (chunkNo + 1) << 32 : chunkNo << 32 | offset;
  }

  /**
   * Makes room for a record of at most {@code bytes} at the log's tail, in a new chunk if the tail
   * chunk has too little left; returns where the record goes.
   */
  private long reserve(int bytes) {
    byte[] tail = chunk(tailChunk);
    if (tailOffset + bytes > tail.length) {
      if (tailOffset + 4 <= tail.length) {
        writeInt(tail, tailOffset, 0); // the chunk's end, for the reader at the head
      }
      tail = newTailChunk(Math.max(Math.min(tail.length * 2, MAX_CHUNK_BYTES), bytes));
    }
    long position = tailChunk << 32 | tailOffset;
    if (size == 0) {
      headPosition = position;
    }
    return position;
  }

  private byte[] newTailChunk(int bytes) {
    int count = (int) (tailChunk - firstChunk) + 1;
    if (count == ring.length) {
      byte[][] grown = new byte[ring.length * 2][];
      for (int i = 0; i < count; i++) {
        grown[i] = ring[(ringHead + i) & (ring.length - 1)];
      }
      ring = grown;
      ringHead = 0;
    }
    byte[] chunk = spare != null && spare.length >= bytes ? spare : new byte[bytes];
    if (chunk == spare) {
      spare = null;
    }
    ring[(ringHead + count) & (ring.length - 1)] = chunk;
    tailChunk++;
    tailOffset = 0;
    if (size == 0) { // nothing left to read in the chunks before: drop them
      while (firstChunk < tailChunk) {
        dropFirstChunk();
      }
    }
    return chunk;
  }

  private void dropFirstChunk() {
    byte[] dropped = ring[ringHead];
    ring[ringHead] = null;
    ringHead = (ringHead + 1) & (ring.length - 1);
    firstChunk++;
    if (dropped.length == MAX_CHUNK_BYTES) {
      spare = dropped;
    }
  }

  // ---- The index ----------------------------------------------------------------------------

  /**
   * The index hash. For one call_id it differs between orgs (the serial is added before a
   * bijective mix), so a slot whose hash matches names the right org, and only the call_id needs
   * comparing — keep that true if this changes.
   *
   * <p>Keyed SipHash, not {@code String.hashCode}: a client that knows how ids are filed can send
   * ids that all land on one run of slots, and linear probing then walks the whole run on every
   * lookup near it, on the thread every org shares ({@link IdHashKey}).
   */
  int hash(int orgSerial, String callId) {
    int h = (int) key.hash(callId) * 31 + orgSerial;
    h ^= h >>> 16; // murmur3's finalizer, a bijection: one id in two orgs lands far apart
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /** The most slots any lookup walks: how far a record sits past its hash's slot. For tests. */
  int longestProbe() {
    int mask = positions.length - 1;
    int longest = 0;
    for (int i = 0; i < positions.length; i++) {
      if (positions[i] != 0) {
        longest = Math.max(longest, ((i - hashes[i]) & mask) + 1);
      }
    }
    return longest;
  }

  /** Takes the record at {@code position} out of the index, shifting later entries back. */
  private void unindex(long position, int hash) {
    int mask = positions.length - 1;
    int hole = hash & mask;
    while (positions[hole] != position) {
      hole = (hole + 1) & mask;
    }
    for (int j = (hole + 1) & mask; positions[j] != 0; j = (j + 1) & mask) {
      int home = hashes[j] & mask;
      // Entry j may fill the hole unless its home lies cyclically after the hole, up to j.
      boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        positions[hole] = positions[j];
        hashes[hole] = hashes[j];
        hole = j;
      }
    }
    positions[hole] = 0;
  }

  private void resize(int slots) {
    long[] oldPositions = positions;
    int[] oldHashes = hashes;
    positions = new long[slots];
    hashes = new int[slots];
    int mask = slots - 1;
    for (int k = 0; k < oldPositions.length; k++) {
      if (oldPositions[k] != 0) {
        int i = oldHashes[k] & mask;
        while (positions[i] != 0) {
          i = (i + 1) & mask;
        }
        positions[i] = oldPositions[k];
        hashes[i] = oldHashes[k];
      }
    }
  }

  /** Whether the record at {@code position}, whose hash matched, is call {@code callId}. */
  private boolean names(long position, String callId) {
    Reader in = new Reader(chunk(position >>> 32), (int) position + HEADER_BYTES);
    in.varint(); // the org's serial: the matching hash already chose the org (see hash)
    int length = (int) in.varint();
    if (length < callId.length()) {
      return false; // UTF-8 takes at least a byte per char
    }
    if (length == callId.length()) { // all ASCII, if it matches at all
      for (int k = 0; k < length; k++) {
        if (in.chunk[in.offset + k] != callId.charAt(k)) {
          return false;
        }
      }
      return true;
    }
    byte[] utf8 = callId.getBytes(StandardCharsets.UTF_8);
    return Arrays.equals(in.chunk, in.offset, in.offset + length, utf8, 0, utf8.length);
  }

  // ---- Encoding -----------------------------------------------------------------------------

  /**
   * The most bytes {@code c}'s record can take: UTF-8 needs at most 3 bytes per UTF-16 char, a
   * varint at most 5 (int) or 10 (long) bytes.
   */
  private static int maxBytes(EndedCall c) {
    Commands.Acquire r = c.request();
    int chars = r.callId().length() + r.agentId().length() + r.loginId().length()
        + r.fromNumber().length() + (c.denial() == null ? 0 : figureChars(c.denial().figures()));
    return HEADER_BYTES + 3 * chars + 6 * 5 + 8 * 10 + 4 + FIGURES_NUMBER_BYTES
        + (c.denial() == null ? 0 : hoursBytes(c.denial().figures().callingHours()));
  }

  /** Writes {@code c}'s record at the log's tail, reserved by {@link #reserve}. */
  private void encode(EndedCall c, int hash) {
    Commands.Acquire r = c.request();
    out = chunk(tailChunk);
    int start = tailOffset;
    at = start + HEADER_BYTES;
    putVarint(c.org().serial);
    putString(r.callId());
    putString(r.agentId());
    putByte(r.callType().ordinal());
    putString(r.loginId());
    putString(r.fromNumber());
    putLong(r.leaseTtlMillis());
    putLong(r.maxWaitMillis());
    putLong(c.seq());
    putLong(c.heldSince());
    putByte(c.reason().ordinal());
    if (c.slotKind() == null) {
      putByte(0);
    } else {
      putByte(c.slotKind().ordinal() + 1);
      putLong(c.grantedAt());
      putLong(c.ttlMillis());
      putLong(c.expiresAt());
    }
    if (c.denial() == null) {
      putByte(0);
    } else {
      putByte(c.denial().reason().ordinal() + 1);
      putFigures(c.denial().figures());
      putLong(c.denial().retryAt());
    }
    writeInt(out, start, at - start);
    writeInt(out, start + 4, hash);
    writeLong(out, start + 8, c.endedAt());
    tailOffset = at;
  }

  /** The most bytes the numbers of {@link #putFigures} take: seven varints and a byte. */
  private static final int FIGURES_NUMBER_BYTES = 7 * 10 + 1;

  private static int figureChars(Results.Figures f) {
    return f.subject().length() + f.zone().length() + f.agentId().length();
  }

  /** A denial's figures, field by field; a null call type is 0, another its ordinal + 1. */
  private void putFigures(Results.Figures f) {
    putString(f.subject());
    putLong(f.inUse());
    putLong(f.limit());
    putLong(f.windowMillis());
    putLong(f.decidedAt());
    putString(f.zone());
    putString(f.agentId());
    putByte(f.callType() == null ? 0 : f.callType().ordinal() + 1);
    putLong(f.reserved());
    putLong(f.orgLimit());
    putLong(f.rampDay());
    putLong(f.fullCap());
    putHours(f.callingHours());
  }

  /** The most bytes {@link #putHours} takes: a count, three varints per window, a type mask. */
  private static int hoursBytes(CallingHours h) {
    return h == null ? 1 : 5 + 3 * 5 * h.windows().size() + 1;
  }

  /** Calling hours as a window count + 1 (0: none), each window, and the restricted types. */
  private void putHours(CallingHours h) {
    if (h == null) {
      putVarint(0);
      return;
    }
    putVarint(h.windows().size() + 1);
    for (CallingHours.Window w : h.windows()) {
      putVarint(w.day().getValue());
      putVarint(w.startMinute());
      putVarint(w.endMinute());
    }
    int mask = 0;
    for (CallType t : h.restrictedTypes()) {
      mask |= 1 << t.ordinal();
    }
    putByte(mask);
  }

  private static CallingHours readHours(Reader in) {
    int n = (int) in.varint() - 1;
    if (n < 0) {
      return null;
    }
    java.util.List<CallingHours.Window> windows = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      windows.add(new CallingHours.Window(java.time.DayOfWeek.of((int) in.varint()),
          (int) in.varint(), (int) in.varint()));
    }
    int mask = in.unsignedByte();
    java.util.Set<CallType> types = java.util.EnumSet.noneOf(CallType.class);
    for (CallType t : CALL_TYPES) {
      if ((mask & 1 << t.ordinal()) != 0) {
        types.add(t);
      }
    }
    return new CallingHours(windows, types);
  }

  private static Results.Figures readFigures(Reader in) {
    String subject = in.string();
    int inUse = (int) in.zigzag();
    int limit = (int) in.zigzag();
    long windowMillis = in.zigzag();
    long decidedAt = in.zigzag();
    String zone = in.string();
    String agentId = in.string();
    int type = in.unsignedByte();
    return new Results.Figures(subject, inUse, limit, windowMillis, decidedAt, zone, agentId,
        type == 0 ? null : CALL_TYPES[type - 1], (int) in.zigzag(), (int) in.zigzag(),
        (int) in.zigzag(), (int) in.zigzag(), readHours(in));
  }

  private void putByte(int value) {
    out[at++] = (byte) value;
  }

  /** Any long, zigzag-encoded so that -1 ("none") takes one byte. */
  private void putLong(long value) {
    putVarint(value << 1 ^ value >> 63);
  }

  /** Unsigned LEB128. */
  private void putVarint(long value) {
    while ((value & ~0x7fL) != 0) {
      out[at++] = (byte) ((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
  }

  /** Length-prefixed UTF-8; ASCII (the usual id) is copied in one pass. */
  private void putString(String s) {
    int n = s.length();
    int start = at;
    putVarint(n);
    for (int k = 0; k < n; k++) {
      char ch = s.charAt(k);
      if (ch >= 0x80) { // not ASCII after all: start over with its UTF-8 bytes
        at = start;
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        putVarint(utf8.length);
        System.arraycopy(utf8, 0, out, at, utf8.length);
        at += utf8.length;
        return;
      }
      out[at++] = (byte) ch;
    }
  }

  private EndedCall decode(long position) {
    Reader in = new Reader(chunk(position >>> 32), (int) position);
    long endedAt = readLong(in.chunk, in.offset + 8);
    in.offset += HEADER_BYTES;
    OrgState org = orgsBySerial.get((int) in.varint());
    return decodeBody(in, org, org.config.orgId(), endedAt);
  }

  /** The rest of a record, after its header and its org's serial. */
  private static EndedCall decodeBody(Reader in, OrgState org, String orgId, long endedAt) {
    String callId = in.string();
    String agentId = in.string();
    CallType type = CALL_TYPES[in.unsignedByte()];
    String loginId = in.string();
    String fromNumber = in.string();
    long ttl = in.zigzag();
    long maxWait = in.zigzag();
    Commands.Acquire request = new Commands.Acquire(
        orgId, callId, agentId, type, loginId, fromNumber, ttl, maxWait);
    long seq = in.zigzag();
    long heldSince = in.zigzag();
    EndReason reason = END_REASONS[in.unsignedByte()];
    int slot = in.unsignedByte();
    SlotKind slotKind = slot == 0 ? null : SLOT_KINDS[slot - 1];
    long grantedAt = slot == 0 ? 0 : in.zigzag();
    long ttlMillis = slot == 0 ? 0 : in.zigzag();
    long expiresAt = slot == 0 ? 0 : in.zigzag();
    int denied = in.unsignedByte();
    Results.Denial denial = denied == 0 ? null
        : new Results.Denial(DENIAL_REASONS[denied - 1], readFigures(in), in.zigzag());
    return new EndedCall(org, request, seq, heldSince, slotKind, grantedAt, ttlMillis, expiresAt,
        reason, endedAt, denial);
  }

  /** Reads one record's fields in order. */
  private static final class Reader {
    final byte[] chunk;
    int offset;

    Reader(byte[] chunk, int offset) {
      this.chunk = chunk;
      this.offset = offset;
    }

    int unsignedByte() {
      return chunk[offset++] & 0xff;
    }

    long varint() {
      long value = 0;
      int shift = 0;
      byte b;
      do {
        b = chunk[offset++];
        value |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while (b < 0);
      return value;
    }

    long zigzag() {
      long v = varint();
      return v >>> 1 ^ -(v & 1);
    }

    String string() {
      int length = (int) varint();
      String s = new String(chunk, offset, length, StandardCharsets.UTF_8);
      offset += length;
      return s;
    }
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
  }

  private static long readLong(byte[] b, int at) {
    return (long) readInt(b, at) << 32 | (readInt(b, at + 4) & 0xffffffffL);
  }

  private static void writeInt(byte[] b, int at, int value) {
    b[at] = (byte) (value >>> 24);
    b[at + 1] = (byte) (value >>> 16);
    b[at + 2] = (byte) (value >>> 8);
    b[at + 3] = (byte) value;
  }

  private static void writeLong(byte[] b, int at, long value) {
    writeInt(b, at, (int) (value >>> 32));
    writeInt(b, at + 4, (int) value);
  }
}
