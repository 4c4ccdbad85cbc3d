package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The order-statistic treap that gives a held call its 1-based queue position. */
class RankTreeTest {

  @Test
  void emptyTreeRanksEverythingFirst() {
    RankTree tree = new RankTree();
    assertEquals(0, tree.size());
    assertEquals(1, tree.rank(42));
  }

  @Test
  void rankIsOnePlusTheNumberOfSmallerKeys() {
    RankTree tree = new RankTree();
    for (long k : new long[] {50, 10, 30, 20, 40}) {
      tree.insert(k);
    }
    assertEquals(5, tree.size());
    assertEquals(1, tree.rank(10));
    assertEquals(2, tree.rank(20));
    assertEquals(3, tree.rank(30));
    assertEquals(5, tree.rank(50));
    assertEquals(3, tree.rank(25), "an absent key ranks where it would go");
    assertEquals(6, tree.rank(99));
  }

  @Test
  void removingMovesLaterKeysForward() {
    RankTree tree = new RankTree();
    for (long k = 1; k <= 5; k++) {
      tree.insert(k);
    }
    tree.remove(1);
    tree.remove(3);
    assertEquals(3, tree.size());
    assertEquals(1, tree.rank(2));
    assertEquals(2, tree.rank(4));
    assertEquals(3, tree.rank(5));
    tree.remove(77); // absent: nothing changes
    assertEquals(3, tree.size());
  }

  @Test
  void ascendingSequencesAsTheEngineInsertsThemStayShallow() {
    // Sequence numbers arrive in increasing order; a plain BST would degenerate into a list and
    // the recursive split/merge would overflow the stack. Hashed priorities keep it balanced.
    RankTree tree = new RankTree();
    int n = 200_000;
    for (long k = 0; k < n; k++) {
      tree.insert(k);
    }
    assertEquals(n, tree.size());
    assertEquals(100_001, tree.rank(100_000));
    for (long k = 0; k < n; k += 2) {
      tree.remove(k);
    }
    assertEquals(n / 2, tree.size());
    assertEquals(50_001, tree.rank(100_001));
  }

  @Test
  void matchesATreeSetOnASeededRandomRun() {
    long seed = 20260616L;
    Random random = new Random(seed);
    RankTree tree = new RankTree();
    TreeSet<Long> reference = new TreeSet<>();
    long nextKey = 0;
    List<Long> present = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(10);
      if (op < 5 || present.isEmpty()) {
        long key = nextKey;
        nextKey += 1 + random.nextInt(3);
        tree.insert(key);
        reference.add(key);
        present.add(key);
      } else if (op < 8) {
        long key = present.remove(random.nextInt(present.size()));
        tree.remove(key);
        reference.remove(key);
      } else {
        long probe = random.nextInt((int) nextKey + 1);
        assertEquals(
            reference.headSet(probe, false).size() + 1, tree.rank(probe), "seed " + seed + " step " + step);
      }
      assertEquals(reference.size(), tree.size(), "seed " + seed + " step " + step);
    }
    int expectedRank = 1;
    for (long key : reference) {
      assertEquals(expectedRank++, tree.rank(key), "seed " + seed);
    }
  }
}
