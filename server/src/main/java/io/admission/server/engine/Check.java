package io.admission.server.engine;

import java.util.List;

/**
 * One rule of the product documents as a pure check: it reads the org's state and the call, and
 * changes nothing. Counting happens in {@link OrgState#grant} only after every check passed, so no
 * call is ever half-granted and a held or denied call costs nothing.
 */
interface Check {
  Verdict check(OrgState org, Call call, long now);

  /**
   * The order of checks (DESIGN.md). The per-login document fixes the first part: "Both checks
   * run before your daily warm-up cap, so a held call never costs you any of your daily
   * allowance" — so every rule that holds comes before every rule that denies, and a call is
   * denied only when it could otherwise start right now. Login before number before pool: the
   * narrowest limit first, so a call blocked by its own seat waits on that seat and never takes a
   * place in the org's queue from another login's call.
   */
  List<Check> ORDER =
      List.of(
          new Checks.LoginConcurrency(),
          new Checks.LoginRate(),
          new Checks.NumberConcurrency(),
          new Checks.NumberRate(),
          new Checks.OrgPool(),
          new Checks.DailyCap(),
          new Checks.NumberDailyCap());
}
