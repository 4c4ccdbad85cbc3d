package io.admission.server.loop;

import io.admission.server.engine.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open WaitForSlot streams by call. Several may watch one call; a call with none loses
 * nothing, because a stream's first event is always the call's current state.
 *
 * <p>Owned by the loop thread. Cost: O(1) per event for calls nobody watches.
 */
final class Watchers {
  private record Key(String orgId, String callId) {}

  private final Map<Key, List<Watcher>> byCall = new HashMap<>();

  /** Adds {@code watcher} unless it already watches the call (a Session's retried Acquire). */
  void add(String orgId, String callId, Watcher watcher) {
    List<Watcher> list = byCall.computeIfAbsent(new Key(orgId, callId), k -> new ArrayList<>(1));
    if (!list.contains(watcher)) { // lists are short: one per open stream on this call
      list.add(watcher);
    }
  }

  void remove(String orgId, String callId, Watcher watcher) {
    Key key = new Key(orgId, callId);
    List<Watcher> list = byCall.get(key);
    if (list != null && list.remove(watcher) && list.isEmpty()) {
      byCall.remove(key);
    }
  }

  /** Who should see {@code event}; terminal events also end the watch. */
  List<Watcher> recipients(Event event) {
    if (event instanceof Event.LeaseEnded) {
      return List.of(); // streams end at dispatch; nobody watches a lease
    }
    Key key = new Key(event.orgId(), event.callId());
    List<Watcher> list = event instanceof Event.HoldChanged ? byCall.get(key) : byCall.remove(key);
    return list == null ? List.of() : List.copyOf(list);
  }

  List<Watcher> removeAll() {
    List<Watcher> all = new ArrayList<>();
    byCall.values().forEach(all::addAll);
    byCall.clear();
    return all;
  }

  int size() {
    return byCall.size();
  }
}
