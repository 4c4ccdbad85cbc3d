package io.admission.server.auth;

/**
 * What a request asks to do, for {@link AccessControl#allows}: the RPCs and web requests sort into
 * these, and each role allows some of them for some orgs. The whole table is {@link #allows}.
 */
public enum Access {
  /** Health and reflection: no token needed. */
  OPEN,
  /** AdmissionService (Acquire, WaitForSlot, Release, Renew, Session) for one org. */
  CALLS,
  /** GetOrg: an org's own settings. */
  READ_ORG,
  /** GetOrgStatus, WatchOrg, ListEvents and the web page's reads of one org. */
  MONITOR,
  /** GetClusterStatus: which nodes there are and which leads, no org's data; any token. */
  CLUSTER,
  /** Every change of settings, and ListOrgs: admin only. */
  ADMIN;

  /** Whether {@code role} may do this for {@code orgId} (ignored for OPEN and ADMIN). */
  public boolean allows(Role role, String orgId) {
    if (this == OPEN || this == CLUSTER || role instanceof Role.Admin) {
      return true;
    }
    return switch (this) {
      case CALLS, READ_ORG -> role instanceof Role.Org o && o.orgId().equals(orgId);
      case MONITOR -> (role instanceof Role.Org o && o.orgId().equals(orgId))
          || (role instanceof Role.Monitor m && (m.everyOrg() || m.orgId().equals(orgId)));
      case OPEN, CLUSTER, ADMIN -> false;
    };
  }
}
