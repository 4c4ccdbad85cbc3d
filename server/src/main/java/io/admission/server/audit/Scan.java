package io.admission.server.audit;

import io.admission.v1.AuditEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * One page being read: which events match (org and time range), how many fit, and how much work
 * the page may cost. A store offers it events in sequence order until it says stop.
 */
final class Scan {
  /** What to do after an event. */
  enum Next {
    /** Offer the next event. */
    MORE,
    /** The page is full or its work is done: it continues after this event. */
    PAUSE,
    /** This event is past the range: nothing after it can match. */
    END
  }

  final String orgId;
  final long startMillis;
  final long endMillis;
  private final int pageSize;
  private final int maxScanned;
  private final List<AuditEvent> events = new ArrayList<>();
  private int scanned;

  /**
   * @param orgId the org whose events match; null for every org's
   * @param maxScanned events a page may read before it pauses, matching or not, so that a page
   *     of a quiet org in a busy log still answers promptly
   */
  Scan(String orgId, long startMillis, long endMillis, int pageSize, int maxScanned) {
    this.orgId = orgId;
    this.startMillis = startMillis;
    this.endMillis = endMillis;
    this.pageSize = pageSize;
    this.maxScanned = maxScanned;
  }

  Next offer(AuditEvent event) {
    long time = AuditStore.millis(event);
    if (time >= endMillis) {
      return Next.END;
    }
    if (time >= startMillis && (orgId == null || event.getOrgId().equals(orgId))) {
      events.add(event);
      if (events.size() >= pageSize) {
        return Next.PAUSE;
      }
    }
    return ++scanned >= maxScanned ? Next.PAUSE : Next.MORE;
  }

  AuditStore.Page page(AuditStore.Position next) {
    return new AuditStore.Page(List.copyOf(events), next);
  }
}
