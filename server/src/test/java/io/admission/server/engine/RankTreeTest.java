package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The trees threaded through held calls: {@link RankTree} gives a held call its 1-based queue
 * position, {@link WaitQueue} its place in the queue of what blocks it. A call is in one of each
 * at once, so the two must never disturb each other's links.
 */
class RankTreeTest {
  private final OrgState org =
      new OrgState(new Engine(), PoolFixture.orgConfig("org-1", 1, OptionalLong.empty()), 0);
  private final Map<Long, Call> calls = new HashMap<>();

  private Call call(long seq) {
    return calls.computeIfAbsent(seq, s -> new Call(org,
        new Commands.Acquire("org-1", "call-" + s, "", CallType.OUTBOUND, "", "", 0, 0), s,
        org.pool.pair("", CallType.OUTBOUND), null, null));
  }

  @Test
  void emptyTreeRanksEverythingFirst() {
    RankTree tree = new RankTree();
    assertEquals(0, tree.size());
    assertEquals(1, tree.rank(42));
    assertNull(tree.first());
    assertNull(new WaitQueue().oldest());
  }

  @Test
  void rankIsOnePlusTheNumberOfSmallerSequences() {
    RankTree tree = new RankTree();
    for (long k : new long[] {50, 10, 30, 20, 40}) {
      tree.insert(call(k));
    }
    assertEquals(5, tree.size());
    assertSame(call(10), tree.first());
    assertEquals(1, tree.rank(10));
    assertEquals(2, tree.rank(20));
    assertEquals(3, tree.rank(30));
    assertEquals(5, tree.rank(50));
    assertEquals(3, tree.rank(25), "an absent sequence ranks where it would go");
    assertEquals(6, tree.rank(99));
  }

  @Test
  void removingMovesLaterCallsForward() {
    RankTree tree = new RankTree();
    for (long k = 1; k <= 5; k++) {
      tree.insert(call(k));
    }
    assertTrue(tree.remove(call(1)));
    assertTrue(tree.remove(call(3)));
    assertEquals(3, tree.size());
    assertEquals(1, tree.rank(2));
    assertEquals(2, tree.rank(4));
    assertEquals(3, tree.rank(5));
    assertFalse(tree.remove(call(77)), "absent: nothing changes");
    assertFalse(tree.remove(call(3)), "removed twice: nothing changes");
    assertEquals(3, tree.size());
  }

  @Test
  void ascendingSequencesAsTheEngineInsertsThemStayShallow() {
    // Sequences arrive in increasing order; a plain BST would degenerate into a list and the
    // recursive insert would overflow the stack. Hashed priorities keep it balanced.
    RankTree tree = new RankTree();
    WaitQueue queue = new WaitQueue();
    int n = 200_000;
    for (long k = 0; k < n; k++) {
      tree.insert(call(k));
      queue.offer(call(k));
    }
    assertEquals(n, tree.size());
    assertEquals(100_001, tree.rank(100_000));
    for (long k = 0; k < n; k += 2) {
      tree.remove(call(k));
      queue.remove(call(k));
    }
    assertEquals(n / 2, tree.size());
    assertEquals(n / 2, queue.size());
    assertEquals(50_001, tree.rank(100_001));
    assertSame(call(1), queue.oldest());
  }

  @Test
  void matchesTreeSetsOnASeededRandomRun() {
    long seed = 20260616L;
    Random random = new Random(seed);
    RankTree tree = new RankTree();
    WaitQueue queue = new WaitQueue(); // a subset of the tree's calls, as a blocker's queue is
    TreeSet<Long> inTree = new TreeSet<>();
    TreeSet<Long> inQueue = new TreeSet<>();
    long nextKey = 0;
    List<Long> present = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      String at = "seed " + seed + " step " + step;
      int op = random.nextInt(10);
      if (op < 5 || present.isEmpty()) {
        long key = nextKey;
        nextKey += 1 + random.nextInt(3);
        tree.insert(call(key));
        inTree.add(key);
        present.add(key);
        if (random.nextBoolean()) {
          queue.offer(call(key));
          inQueue.add(key);
        }
      } else if (op < 8) {
        long key = present.remove(random.nextInt(present.size()));
        tree.remove(call(key));
        inTree.remove(key);
        assertEquals(inQueue.remove(key), queue.remove(call(key)), at);
      } else {
        long probe = random.nextInt((int) nextKey + 1);
        assertEquals(inTree.headSet(probe, false).size() + 1, tree.rank(probe), at);
      }
      assertEquals(inTree.size(), tree.size(), at);
      assertEquals(inQueue.size(), queue.size(), at);
      assertEquals(inQueue.isEmpty() ? null : call(inQueue.first()), queue.oldest(), at);
      assertEquals(inTree.isEmpty() ? null : call(inTree.first()), tree.first(), at);
    }
    int expectedRank = 1;
    for (long key : inTree) {
      assertEquals(expectedRank++, tree.rank(key), "seed " + seed);
    }
    List<Long> order = new ArrayList<>();
    queue.forEach(c -> order.add(c.seq));
    assertEquals(new ArrayList<>(inQueue), order, "in sequence order");
  }
}
