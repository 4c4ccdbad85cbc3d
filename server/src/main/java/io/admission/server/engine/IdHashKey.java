package io.admission.server.engine;

import java.util.random.RandomGenerator;

/**
 * The secret key of the hash that files ended calls by call_id.
 *
 * <p>Why a key: call_ids are chosen by clients, and {@link EndedCalls} is an open-addressing
 * table the engine's one thread probes on every Acquire. Filed by {@code String.hashCode}, ids
 * that share a hash are trivial to make ("Aa" and "BB" do; so does every string of such blocks),
 * and a client sending many would pile them onto one run of slots that every later lookup there
 * walks — slowing every org on the server. SipHash under a key the client cannot know leaves it
 * nothing to aim at; it is what Rust's and Python's hash tables use for the same reason.
 *
 * <p>The key changes where records sit in the index, never what any lookup finds, so the engine
 * stays deterministic in everything it answers. The engine takes the key and never makes one:
 * it reads no randomness.
 *
 * <p>Measured (FloodedIdsBenchmark): call_ids that all share one {@code String.hashCode} cost the
 * engine what ordinary ids of the same length do (within the run-to-run noise), while a {@code
 * HashMap} doing the same id traffic, whose colliding buckets fall back to a tree of string
 * comparisons, runs at a seventh to a fifteenth of its speed. Written here rather than taken from Guava's {@code Hashing.sipHash24}: that one
 * builds a hasher object per call_id (garbage on every lookup), runs the slower 2-4 rounds, and
 * would bring a library into the engine, which depends on the JDK alone.
 */
public record IdHashKey(long k0, long k1) {
  /**
   * A key everyone knows: the same index layout on every run, for tests and benchmarks. Not for
   * a server that faces clients.
   */
  public static final IdHashKey PUBLIC = new IdHashKey(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);

  /** A fresh key from {@code random}, which should be a {@code SecureRandom}. */
  public static IdHashKey from(RandomGenerator random) {
    return new IdHashKey(random.nextLong(), random.nextLong());
  }

  /** SipHash-1-3 of {@code id}'s UTF-16 code units, little-endian, as Rust's HashMap uses it. */
  long hash(String id) {
    return sipHash(id, 1, 3);
  }

  /**
   * SipHash-c-d (Aumasson and Bernstein, 2012) of {@code id} as UTF-16LE bytes: chars are taken
   * four to a word without making the bytes. The rounds are a parameter only so that a test can
   * check this code against a reference SipHash-2-4.
   */
  long sipHash(String id, int compressionRounds, int finalizationRounds) {
    long v0 = 0x736f6d6570736575L ^ k0;
    long v1 = 0x646f72616e646f6dL ^ k1;
    long v2 = 0x6c7967656e657261L ^ k0;
    long v3 = 0x7465646279746573L ^ k1;
    int n = id.length();
    int i = 0;
    boolean last = false;
    while (!last) {
      long m;
      if (i + 4 <= n) {
        m = id.charAt(i) | (long) id.charAt(i + 1) << 16 | (long) id.charAt(i + 2) << 32
            | (long) id.charAt(i + 3) << 48;
        i += 4;
      } else { // the final word: the last 0-3 chars, and the length in bytes (mod 256) on top
        m = (long) (2 * n) << 56;
        for (int shift = 0; i < n; i++, shift += 16) {
          m |= (long) id.charAt(i) << shift;
        }
        last = true;
      }
      v3 ^= m;
      for (int r = 0; r < compressionRounds; r++) {
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (int r = 0; r < finalizationRounds; r++) {
      v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
      v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
      v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
      v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  /** Not the key: a record's default toString would print it into logs. */
  @Override
  public String toString() {
    return "IdHashKey[secret]";
  }
}
