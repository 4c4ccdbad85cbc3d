package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The call_id hash is SipHash as published, and the key stays out of logs. */
class IdHashKeyTest {
  @Test
  void isSipHashOfTheIdsUtf16LeBytesCheckedAgainstGuavasSipHash24() {
    Random random = new Random(11);
    for (int n = 0; n < 2_000; n++) {
      IdHashKey key = n == 0 ? IdHashKey.PUBLIC : IdHashKey.from(random);
      StringBuilder id = new StringBuilder();
      int length = n % 41; // every tail length, 0-3 chars past a word, and the empty id
      for (int k = 0; k < length; k++) {
        id.append((char) (random.nextBoolean() ? 'a' + random.nextInt(26) : random.nextInt(0xd800)));
      }
      String s = id.toString();
      long expected = Hashing.sipHash24(key.k0(), key.k1())
          .hashBytes(s.getBytes(StandardCharsets.UTF_16LE)).asLong();
      assertEquals(expected, key.sipHash(s, 2, 4), "id of " + length + " chars");
    }
  }

  @Test
  void theKeyIsNotPrinted() {
    IdHashKey key = new IdHashKey(0x1234_5678_9abcL, 42);
    assertFalse(key.toString().contains(Long.toString(key.k0())), key.toString());
    assertFalse(key.toString().contains("1234"), key.toString());
  }
}
