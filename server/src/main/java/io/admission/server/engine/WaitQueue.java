package io.admission.server.engine;

/**
 * Held calls waiting on one login, number or the shared pool, oldest first by arrival sequence.
 * A call re-checked after waiting elsewhere keeps its original sequence, so it goes back in at its
 * place, not at the tail. A held call is in exactly one such queue ({@link Call#queue}), linked
 * through {@link Call#queueLeft} and {@link Call#queueRight}.
 *
 * <p>Cost: offer, remove and oldest are O(log n) expected.
 */
final class WaitQueue extends SeqTreap implements Waiters {
  @Override
  Call left(Call c) {
    return c.queueLeft;
  }

  @Override
  Call right(Call c) {
    return c.queueRight;
  }

  @Override
  void setLeft(Call c, Call left) {
    c.queueLeft = left;
  }

  @Override
  void setRight(Call c, Call right) {
    c.queueRight = right;
  }

  void offer(Call call) {
    insert(call);
  }

  @Override
  public Call oldest() {
    return first();
  }
}
