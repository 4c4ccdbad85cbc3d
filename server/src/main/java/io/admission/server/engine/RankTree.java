package io.admission.server.engine;

/**
 * All held calls of an org, with subtree sizes: the 1-based rank of a held call's sequence among
 * them is its queue position. Linked through {@link Call#rankLeft}, {@link Call#rankRight} and
 * {@link Call#rankSize}. Cost: insert, remove, first and rank are O(log n) expected.
 */
final class RankTree extends SeqTreap {
  @Override
  Call left(Call c) {
    return c.rankLeft;
  }

  @Override
  Call right(Call c) {
    return c.rankRight;
  }

  @Override
  void setLeft(Call c, Call left) {
    c.rankLeft = left;
  }

  @Override
  void setRight(Call c, Call right) {
    c.rankRight = right;
  }

  @Override
  void update(Call c) {
    c.rankSize = 1 + size(c.rankLeft) + size(c.rankRight);
  }

  /** 1 + how many calls have a smaller sequence than {@code seq}. */
  int rank(long seq) {
    int smaller = 0;
    Call n = root();
    while (n != null) {
      if (seq <= n.seq) {
        n = n.rankLeft;
      } else {
        smaller += size(n.rankLeft) + 1;
        n = n.rankRight;
      }
    }
    return smaller + 1;
  }

  private static int size(Call c) {
    return c == null ? 0 : c.rankSize;
  }
}
