package io.admission.server.engine;

/**
 * A set of calls ordered by arrival sequence: a treap threaded through link fields of the calls
 * themselves, so that a held call's place in a queue costs it two fields instead of a tree node
 * and a boxed key. Subclasses say which of the call's fields link their tree; a call can be in
 * one tree of each subclass at a time.
 *
 * <p>Priorities are a fixed hash of the sequence, not a random source, so the shape — and so
 * everything — is deterministic. Insert and remove are O(log n) expected; the recursion is as
 * deep as the tree, about 2 log2 n. {@link #first} is O(1): dispatch asks every blocker a change
 * freed for its oldest waiter, most often without taking it, so the oldest is kept at hand.
 *
 * <p>Why not a {@code TreeSet}: each membership would cost a 40-byte tree entry where the links
 * cost 8 bytes in the call. A held call sits in two trees (its {@link WaitQueue} and its org's
 * {@link RankTree}). Measured side by side on 2026-12-03 against a test build with a {@code
 * TreeSet} queue (not in the tree), a held call took 328 heap bytes there, past the budget of 300
 * ({@code admission-bench heap --kind held}, HeapFootprint; 274.7–289.5 B with this tree), and
 * dispatch from a queue 1,000 deep ran 1.17–1.41× slower (a JMH benchmark of that depth, since
 * dropped from bench/ with the deep-queue shapes). And the queue position a held call reports is
 * its rank, which {@link RankTree} keeps in O(log n) through subtree sizes; neither the JDK's
 * sorted sets nor fastutil's count a head set in less than O(n).
 */
abstract class SeqTreap {
  private Call root;
  private Call first;
  private int size;

  abstract Call left(Call c);

  abstract Call right(Call c);

  abstract void setLeft(Call c, Call left);

  abstract void setRight(Call c, Call right);

  /** Called when a node's children changed; a subclass may recompute what it keeps per node. */
  void update(Call c) {}

  final Call root() {
    return root;
  }

  public final int size() {
    return size;
  }

  public final boolean isEmpty() {
    return root == null;
  }

  /** Adds {@code call}, which must not be in this tree. */
  final void insert(Call call) {
    setLeft(call, null);
    setRight(call, null);
    update(call);
    root = insert(root, call);
    size++;
    if (first == null || call.seq < first.seq) {
      first = call;
    }
  }

  /** Removes {@code call} if it is in this tree; returns whether it was. */
  final boolean remove(Call call) {
    int before = size;
    root = remove(root, call);
    if (size == before) {
      return false;
    }
    setLeft(call, null);
    setRight(call, null);
    if (call == first) {
      first = leftmost();
    }
    return true;
  }

  /** The call with the smallest sequence, or null. */
  final Call first() {
    return first;
  }

  private Call leftmost() {
    Call n = root;
    if (n == null) {
      return null;
    }
    while (left(n) != null) {
      n = left(n);
    }
    return n;
  }

  /** Every call, in sequence order. */
  final void forEach(java.util.function.Consumer<Call> action) {
    forEach(root, action);
  }

  private void forEach(Call n, java.util.function.Consumer<Call> action) {
    if (n != null) {
      forEach(left(n), action);
      action.accept(n);
      forEach(right(n), action);
    }
  }

  private Call insert(Call n, Call call) {
    if (n == null) {
      return call;
    }
    if (call.seq < n.seq) {
      Call l = insert(left(n), call);
      setLeft(n, l);
      if (priority(l) > priority(n)) {
        return rotateRight(n);
      }
    } else {
      Call r = insert(right(n), call);
      setRight(n, r);
      if (priority(r) > priority(n)) {
        return rotateLeft(n);
      }
    }
    update(n);
    return n;
  }

  private Call remove(Call n, Call call) {
    if (n == null) {
      return null;
    }
    if (n == call) {
      size--;
      return merge(left(n), right(n));
    }
    if (call.seq < n.seq) {
      setLeft(n, remove(left(n), call));
    } else {
      setRight(n, remove(right(n), call));
    }
    update(n);
    return n;
  }

  /** Joins two trees where every sequence in {@code a} is below every one in {@code b}. */
  private Call merge(Call a, Call b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    if (priority(a) > priority(b)) {
      setRight(a, merge(right(a), b));
      update(a);
      return a;
    }
    setLeft(b, merge(a, left(b)));
    update(b);
    return b;
  }

  private Call rotateRight(Call n) {
    Call l = left(n);
    setLeft(n, right(l));
    setRight(l, n);
    update(n);
    update(l);
    return l;
  }

  private Call rotateLeft(Call n) {
    Call r = right(n);
    setRight(n, left(r));
    setLeft(r, n);
    update(n);
    update(r);
    return r;
  }

  /** SplitMix64's finalizer: a bijection, so distinct sequences never tie. */
  private static long priority(Call c) {
    long z = c.seq;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
