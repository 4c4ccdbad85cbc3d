package io.admission.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CallIdsTest {
  @Test
  void idsAreUniqueAndShapedLikeUuids() {
    CallIds ids = new CallIds();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = ids.next();
      assertEquals(36, id.length(), id);
      seen.add(id);
    }
    assertEquals(10_000, seen.size());
  }
}
