package io.admission.client.cli;

import io.admission.v1.LoginLevel;
import io.admission.v1.LoginStatus;
import io.admission.v1.NumberStatus;
import io.admission.v1.OrgStatus;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code watch}: the Compliance Monitor in a terminal (WatchOrg). On a terminal the org's lines are
 * redrawn in place after every change, a login or number yellow at 80 % of a limit and red at it
 * (the page's colours); piped, each update is one line of JSON, so that a script can follow it.
 * The stream has no deadline: it runs until the org is deleted, the server goes, or Ctrl-C.
 */
@Command(name = "watch", description = "Follows an org live: pool, held calls, daily cap and one "
    + "line per login and number, yellow near a limit and red at it. Piped (or with --output "
    + "json), prints one JSON object per update.")
final class WatchCommand implements Callable<Integer> {
  static final String YELLOW = "\u001b[33m";
  static final String RED = "\u001b[31m";
  static final String RESET = "\u001b[0m";
  /** Cursor home, then clear to the end of the screen: the next frame replaces the last. */
  static final String REDRAW = "\u001b[H\u001b[J";
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  @ParentCommand
  private AdmissionCli cli;

  @Option(names = "--org", paramLabel = "ORG", required = true)
  private String orgId;

  @Option(names = "--redraw", paramLabel = "WHEN", defaultValue = "auto",
      description = "auto (when printing to a terminal and --output is table), always or never "
          + "(default: ${DEFAULT-VALUE}).")
  private Redraw redraw;

  @Option(names = "--updates", paramLabel = "N", converter = CountConverter.class,
      description = "Stop after N updates (default: follow until interrupted).")
  private Integer updates;

  enum Redraw { auto, always, never }

  @Override
  public Integer call() {
    boolean live = switch (redraw) {
      case always -> true;
      case never -> false;
      case auto -> System.console() != null && cli.output() == AdmissionCli.Output.table;
    };
    Iterator<WatchOrgResponse> stream =
        cli.monitorWithoutDeadline().watchOrg(WatchOrgRequest.newBuilder().setOrgId(orgId).build());
    PrintWriter out = cli.out();
    int seen = 0;
    while ((updates == null || seen < updates) && stream.hasNext()) {
      OrgStatus status = stream.next().getStatus();
      seen++;
      if (live) {
        out.print(REDRAW);
        frame(status).forEach(out::println);
        out.flush();
      } else {
        cli.printJson(status);
      }
    }
    return 0;
  }

  /** The screen for one status: a header, then a coloured line per login and per number. */
  static List<String> frame(OrgStatus s) {
    List<String> lines = new ArrayList<>();
    String asOf = s.hasAsOf()
        ? CLOCK.format(Instant.ofEpochSecond(s.getAsOf().getSeconds()).atZone(ZoneId.systemDefault()))
        : "";
    lines.add("org " + s.getOrgId() + "  " + asOf);
    lines.add(paint(ratio(s.getInUse(), s.getLimit()),
        "Pool: " + s.getInUse() + "/" + s.getLimit() + " in use · shared " + s.getSharedInUse()
            + "/" + s.getSharedCapacity() + " · held " + s.getQueued()));
    if (s.getDaily().getCap() > 0) {
      lines.add(paint(ratio(s.getDaily().getUsed(), s.getDaily().getCap()),
          "Daily cap: " + s.getDaily().getUsed() + "/" + s.getDaily().getCap() + " today"));
    }
    for (LoginStatus login : s.getLoginsList()) {
      lines.add(paint(level(login.getLevel()), "login " + login.getLoginId() + "  " + login.getLine()
          + (login.getQueued() > 0 ? " · held " + login.getQueued() : "")));
    }
    for (NumberStatus n : s.getNumbersList()) {
      double worst = Math.max(ratio(n.getActive(), n.getMaxConcurrent()),
          Math.max(ratio(n.getLastHour(), n.getMaxPerHour()), ratio(n.getToday(), n.getMaxPerDay())));
      lines.add(paint(worst, "number " + n.getNumber() + "  Active now: " + n.getActive() + "/"
          + limit(n.getMaxConcurrent()) + " concurrent · Last hour: " + n.getLastHour() + "/"
          + limit(n.getMaxPerHour()) + " · Today: " + n.getToday() + "/" + limit(n.getMaxPerDay())));
    }
    return lines;
  }

  private static String limit(int max) {
    return max == 0 ? "∞" : Integer.toString(max);
  }

  /** Used ÷ limit; a limit of 0 means none, which is never near. */
  private static double ratio(int used, int limit) {
    return limit == 0 ? 0 : (double) used / limit;
  }

  private static double level(LoginLevel level) {
    return switch (level) {
      case LOGIN_LEVEL_AT_LIMIT -> 1;
      case LOGIN_LEVEL_NEAR -> 0.8;
      default -> 0;
    };
  }

  /** The page's thresholds: yellow from 80 % of a limit, red at it. */
  private static String paint(double ratio, String line) {
    if (ratio >= 1) {
      return RED + line + RESET;
    }
    if (ratio >= 0.8) {
      return YELLOW + line + RESET;
    }
    return line;
  }
}
