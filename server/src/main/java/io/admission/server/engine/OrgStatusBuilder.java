package io.admission.server.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds an org's {@link StatusView.Org}: what it holds, then each limit's own part. A read for
 * dashboards: the parts walk the org's agents, logins and numbers (never its queue) and sort them
 * by id so the output is stable.
 */
final class OrgStatusBuilder {
  private OrgStatusBuilder() {}

  static StatusView.Org build(OrgState org, long now) {
    List<StatusView.Part> parts = new ArrayList<>(Limits.ALL.length);
    for (Limit limit : Limits.ALL) {
      limit.status(org, now, parts);
    }
    return new StatusView.Org(
        org.config.orgId(),
        org.held.size(),
        now,
        org.heldByReason.clone(),
        org.oldestHeldSince(),
        parts);
  }
}
