package io.admission.server.engine;

/**
 * An order-statistic set of longs (a treap with subtree sizes): the 1-based rank of a held call's
 * sequence among all held calls of its org, which is its queue position.
 *
 * <p>Cost: insert, remove and rank are O(log n) expected. Priorities come from a fixed hash of the
 * key, not a random source, so the shape — and so everything — is deterministic.
 */
final class RankTree {
  private static final class Node {
    final long key;
    final long priority;
    Node left;
    Node right;
    int size = 1;

    Node(long key) {
      this.key = key;
      this.priority = mix(key);
    }
  }

  private Node root;

  int size() {
    return size(root);
  }

  void insert(long key) {
    Node[] parts = split(root, key);
    root = merge(merge(parts[0], new Node(key)), parts[1]);
  }

  void remove(long key) {
    root = remove(root, key);
  }

  /** The smallest key; only when not empty. */
  long first() {
    Node n = root;
    while (n.left != null) {
      n = n.left;
    }
    return n.key;
  }

  /** 1 + how many keys are smaller than {@code key}. */
  int rank(long key) {
    int smaller = 0;
    Node n = root;
    while (n != null) {
      if (key <= n.key) {
        n = n.left;
      } else {
        smaller += size(n.left) + 1;
        n = n.right;
      }
    }
    return smaller + 1;
  }

  private static Node remove(Node n, long key) {
    if (n == null) {
      return null;
    }
    if (key == n.key) {
      return merge(n.left, n.right);
    }
    if (key < n.key) {
      n.left = remove(n.left, key);
    } else {
      n.right = remove(n.right, key);
    }
    update(n);
    return n;
  }

  /** [keys < key, keys >= key]. */
  private static Node[] split(Node n, long key) {
    if (n == null) {
      return new Node[] {null, null};
    }
    if (n.key < key) {
      Node[] parts = split(n.right, key);
      n.right = parts[0];
      update(n);
      return new Node[] {n, parts[1]};
    }
    Node[] parts = split(n.left, key);
    n.left = parts[1];
    update(n);
    return new Node[] {parts[0], n};
  }

  private static Node merge(Node a, Node b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    if (a.priority > b.priority) {
      a.right = merge(a.right, b);
      update(a);
      return a;
    }
    b.left = merge(a, b.left);
    update(b);
    return b;
  }

  private static void update(Node n) {
    n.size = 1 + size(n.left) + size(n.right);
  }

  private static int size(Node n) {
    return n == null ? 0 : n.size;
  }

  /** SplitMix64 finalizer: a fixed, well-spread priority per key. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
