package io.admission.server.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A place in every org for one limit's own state, so that a limit that counts something per org
 * keeps it in its own class rather than in a field of {@link OrgState}. A limit makes its slot
 * once, in a static field; every org is made with a fresh value in each slot, found again by the
 * slot's index: an array read on the hot path, no lookup.
 *
 * @param <T> the limit's state in one org
 */
final class OrgSlot<T> {
  private static final List<OrgSlot<?>> ALL = new ArrayList<>();

  private final int index;
  private final Supplier<T> fresh;

  private OrgSlot(int index, Supplier<T> fresh) {
    this.index = index;
    this.fresh = fresh;
  }

  /**
   * A new slot, holding {@code fresh.get()} in each org made from now on. Called while a limit's
   * class is initialized, which happens before any org is made (see {@link OrgState}).
   */
  static synchronized <T> OrgSlot<T> of(Supplier<T> fresh) {
    OrgSlot<T> slot = new OrgSlot<>(ALL.size(), fresh);
    ALL.add(slot);
    return slot;
  }

  /** A fresh value for every slot, for a new org. */
  static synchronized Object[] freshValues() {
    Object[] values = new Object[ALL.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = ALL.get(i).fresh.get();
    }
    return values;
  }

  /** Its value in {@code org}. */
  @SuppressWarnings("unchecked")
  T in(OrgState org) {
    return (T) org.slots[index];
  }
}
