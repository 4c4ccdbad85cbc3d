package io.admission.server.loop;

import io.admission.server.engine.Engine;
import io.admission.server.engine.Rejection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The open WatchOrg streams by org, and which watched orgs changed since their last status.
 * Statuses are built at most every {@link #INTERVAL_MILLIS} per org, however busy
 * it is — the cost of a busy org's dashboards is bounded, not proportional to its traffic — and
 * only for orgs someone watches. Time alone changes a status too (a rolling window drops old
 * starts, the oldest wait grows) without any command or event, so a watched org is also
 * refreshed every {@link #REFRESH_MILLIS}.
 *
 * <p>Owned by the loop thread.
 */
final class OrgWatchers {
  private static final class Watched {
    final List<OrgWatcher> watchers = new ArrayList<>(1);
    long lastPublished;
    boolean dirty;
  }

  /** WatchOrg streams get an org's status at most this often (10 per second). */
  static final long INTERVAL_MILLIS = 100;
  static final long REFRESH_MILLIS = 5_000;

  private final Map<String, Watched> byOrg = new HashMap<>();
  private final Set<Watched> dirty = new HashSet<>();
  /** The earliest refresh due among watched orgs. */
  private long nextRefresh = Long.MAX_VALUE;

  void add(String orgId, OrgWatcher watcher, long now) {
    Watched w = byOrg.computeIfAbsent(orgId, k -> new Watched());
    if (w.watchers.isEmpty()) {
      w.lastPublished = now; // the new stream's first status is sent by watchOrg itself
    }
    w.watchers.add(watcher);
    nextRefresh = Math.min(nextRefresh, w.lastPublished + REFRESH_MILLIS);
  }

  void remove(String orgId, OrgWatcher watcher) {
    Watched w = byOrg.get(orgId);
    if (w != null && w.watchers.remove(watcher) && w.watchers.isEmpty()) {
      byOrg.remove(orgId);
      dirty.remove(w);
      if (byOrg.isEmpty()) {
        nextRefresh = Long.MAX_VALUE; // else the loop would keep waking for nobody
      }
    }
  }

  void touched(String orgId) {
    if (byOrg.isEmpty()) {
      return; // the common case costs one check
    }
    Watched w = byOrg.get(orgId);
    if (w != null && !w.dirty) {
      w.dirty = true;
      dirty.add(w);
    }
  }

  /**
   * Takes the status of every changed org whose interval has passed, now, and adds its sending
   * to {@code sends}: statuses leave with the turn's other events, once it is durable.
   */
  void publish(Engine engine, long now, Consumer<Runnable> sends) {
    if (now < nextPublish()) {
      return;
    }
    List<Map.Entry<String, Watched>> due = new ArrayList<>();
    for (Map.Entry<String, Watched> e : byOrg.entrySet()) {
      Watched w = e.getValue();
      long since = now - w.lastPublished;
      if ((w.dirty && since >= INTERVAL_MILLIS) || since >= REFRESH_MILLIS) {
        due.add(e);
      }
    }
    for (Map.Entry<String, Watched> e : due) {
      Watched w = e.getValue();
      var status = engine.status(e.getKey(), now);
      w.dirty = false;
      w.lastPublished = now;
      dirty.remove(w);
      for (OrgWatcher watcher : List.copyOf(w.watchers)) {
        sends.accept(() -> watcher.status(status));
      }
      if (status instanceof Rejection) {
        // The org is gone (DeleteOrg): the rejection ended these streams, so they are not kept
        // for an org that may be created again later with the same id.
        byOrg.remove(e.getKey());
      }
    }
    nextRefresh = Long.MAX_VALUE; // O(watched orgs), only when something was published
    for (Watched w : byOrg.values()) {
      nextRefresh = Math.min(nextRefresh, w.lastPublished + REFRESH_MILLIS);
    }
  }

  /** When the loop must wake to publish (a held-back change or a refresh), or Long.MAX_VALUE. */
  long nextPublish() {
    long next = nextRefresh;
    for (Watched w : dirty) {
      next = Math.min(next, w.lastPublished + INTERVAL_MILLIS);
    }
    return next;
  }

  /** Orgs with open WatchOrg streams. */
  int size() {
    return byOrg.size();
  }

  List<OrgWatcher> removeAll() {
    List<OrgWatcher> all = new ArrayList<>();
    byOrg.values().forEach(w -> all.addAll(w.watchers));
    byOrg.clear();
    dirty.clear();
    nextRefresh = Long.MAX_VALUE;
    return all;
  }
}
