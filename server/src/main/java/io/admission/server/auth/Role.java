package io.admission.server.auth;

/**
 * What a token may do, as its line in the {@code --auth} file names it: {@code admin} (every RPC),
 * {@code org:<org_id>} (AdmissionService and reads of that org), {@code monitor:<org_id>} or
 * {@code monitor:*} (AdmissionMonitorService and the web page, read only).
 */
public sealed interface Role {
  /** Every RPC, every org. */
  record Admin() implements Role {
    @Override
    public String toString() {
      return "admin";
    }
  }

  /** A switch or dialer of one org: its calls, and reads of that org. */
  record Org(String orgId) implements Role {
    @Override
    public String toString() {
      return "org:" + orgId;
    }
  }

  /** A dashboard: the status and events of one org, or of every org when {@code orgId} is "*". */
  record Monitor(String orgId) implements Role {
    public boolean everyOrg() {
      return orgId.equals(ANY);
    }

    @Override
    public String toString() {
      return "monitor:" + orgId;
    }
  }

  String ANY = "*";

  /** The role a token file names; the message says what is wrong with {@code text}. */
  static Role parse(String text) {
    if (text.equals("admin")) {
      return new Admin();
    }
    int colon = text.indexOf(':');
    String kind = colon < 0 ? text : text.substring(0, colon);
    String orgId = colon < 0 ? "" : text.substring(colon + 1);
    if ((kind.equals("org") || kind.equals("monitor")) && orgId.isEmpty()) {
      throw new IllegalArgumentException("role " + text + " names no org (" + kind + ":<org_id>)");
    }
    if (kind.equals("org")) {
      if (orgId.equals(ANY)) {
        throw new IllegalArgumentException("role org:* is not a role: an org token serves one org");
      }
      return new Org(orgId);
    }
    if (kind.equals("monitor")) {
      return new Monitor(orgId);
    }
    throw new IllegalArgumentException("unknown role \"" + text
        + "\" (roles: admin, org:<org_id>, monitor:<org_id>, monitor:*)");
  }
}
