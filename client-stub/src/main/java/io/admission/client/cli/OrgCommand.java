package io.admission.client.cli;

import com.google.protobuf.FieldMask;
import io.admission.v1.DailyCap;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.Org;
import io.admission.v1.UpdateOrgRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code org}: the commands for orgs that exist. {@code org update} changes only the settings given
 * (UpdateOrg with an update_mask built from exactly the options used), so it never resets what it
 * does not name, as {@code put-org} does.
 */
@Command(name = "org", description = "Creates, changes, shows, lists or deletes orgs.",
    subcommands = {OrgCommand.Put.class, OrgCommand.Update.class, OrgCommand.Get.class,
        OrgCommand.ListAll.class, OrgCommand.Delete.class})
final class OrgCommand {
  @ParentCommand
  AdmissionCli cli;

  @Command(name = "update", description = "Changes only the settings given; the others keep "
      + "their values. Never creates an org (put-org does).")
  static final class Update implements Callable<Integer> {
    @ParentCommand
    private OrgCommand org;

    @Spec
    private CommandSpec spec;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Option(names = "--limit", paramLabel = "N", converter = CountConverter.class,
        description = "Concurrency limit, at least 1.")
    private Integer limit;

    @Option(names = "--daily-cap", paramLabel = "N", converter = CountConverter.class,
        description = "Counted calls per local day; replaces the whole daily cap, its ramp too "
            + "(--clear daily_cap removes it).")
    private Integer dailyCap;

    @Option(names = "--time-zone", paramLabel = "ZONE", description = "IANA zone of the daily reset.")
    private String timeZone;

    @Option(names = "--lease-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Default lease TTL, e.g. 30s, 5m, 1h.")
    private Duration leaseTtl;

    @Option(names = "--login-max-concurrent", paramLabel = "N", converter = CountConverter.class,
        description = "Login default: calls at once (0 = no limit).")
    private Integer loginMaxConcurrent;

    @Option(names = "--login-max-per-window", paramLabel = "N", converter = CountConverter.class,
        description = "Login default: calls started per window (0 = no limit).")
    private Integer loginMaxPerWindow;

    @Option(names = "--login-window", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Login default: the rolling window, e.g. 1h.")
    private Duration loginWindow;

    @Option(names = "--number-max-per-day", paramLabel = "N", converter = CountConverter.class,
        description = "Number default: calls per local day (0 = no cap).")
    private Integer numberMaxPerDay;

    @Option(names = "--number-max-per-hour", paramLabel = "N", converter = CountConverter.class,
        description = "Number default: calls per rolling hour (0 = no cap).")
    private Integer numberMaxPerHour;

    @Option(names = "--number-max-concurrent", paramLabel = "N", converter = CountConverter.class,
        description = "Number default: calls at once (0 = no cap).")
    private Integer numberMaxConcurrent;

    @Option(names = "--calling-hours", paramLabel = "HOURS", converter = CallingHoursConverter.class,
        description = "Local-time windows for outbound calls, e.g. \"mon-fri 09:00-20:00, sat "
            + "10:00-14:00\" (--clear calling_hours removes them).")
    private io.admission.v1.CallingHours callingHours;

    @Option(names = "--clear", paramLabel = "PATH", description = "Resets a setting to its unset "
        + "meaning, by its update_mask path: e.g. daily_cap (no cap), default_lease_ttl (1 h), "
        + "login_defaults.window (inherited). Repeat for several.")
    private List<String> clear = new ArrayList<>();

    @Override
    public Integer call() {
      Org.Builder o = Org.newBuilder().setOrgId(orgId);
      List<String> mask = new ArrayList<>();
      if (limit != null) {
        o.setConcurrencyLimit(limit);
        mask.add("concurrency_limit");
      }
      if (dailyCap != null) {
        o.setDailyCap(DailyCap.newBuilder().setCap(dailyCap));
        mask.add("daily_cap");
      }
      if (timeZone != null) {
        o.setTimeZone(timeZone);
        mask.add("time_zone");
      }
      if (leaseTtl != null) {
        o.setDefaultLeaseTtl(DurationConverter.toProto(leaseTtl));
        mask.add("default_lease_ttl");
      }
      if (loginMaxConcurrent != null) {
        o.getLoginDefaultsBuilder().setMaxConcurrent(loginMaxConcurrent);
        mask.add("login_defaults.max_concurrent");
      }
      if (loginMaxPerWindow != null) {
        o.getLoginDefaultsBuilder().setMaxPerWindow(loginMaxPerWindow);
        mask.add("login_defaults.max_per_window");
      }
      if (loginWindow != null) {
        o.getLoginDefaultsBuilder().setWindow(DurationConverter.toProto(loginWindow));
        mask.add("login_defaults.window");
      }
      if (numberMaxPerDay != null) {
        o.getNumberDefaultsBuilder().setMaxPerDay(numberMaxPerDay);
        mask.add("number_defaults.max_per_day");
      }
      if (numberMaxPerHour != null) {
        o.getNumberDefaultsBuilder().setMaxPerHour(numberMaxPerHour);
        mask.add("number_defaults.max_per_hour");
      }
      if (numberMaxConcurrent != null) {
        o.getNumberDefaultsBuilder().setMaxConcurrent(numberMaxConcurrent);
        mask.add("number_defaults.max_concurrent");
      }
      if (callingHours != null) {
        o.setCallingHours(callingHours);
        mask.add("calling_hours");
      }
      for (String path : clear) {
        if (mask.contains(path)) {
          throw new ParameterException(spec.commandLine(),
              "--clear " + path + " contradicts the option that sets it");
        }
        mask.add(path);
      }
      if (mask.isEmpty()) {
        throw new ParameterException(spec.commandLine(),
            "name at least one setting to change (e.g. --limit 30); nothing else is touched");
      }
      return org.cli.print(org.cli.admin().updateOrg(UpdateOrgRequest.newBuilder()
          .setOrg(o)
          .setUpdateMask(FieldMask.newBuilder().addAllPaths(mask))
          .build()));
    }
  }

  @Command(name = "put", description = "Creates an org or replaces ALL its settings with "
      + "exactly these: a setting not given is reset (its reservations and login and number "
      + "limits are kept). To change some settings of an existing org, use org update.")
  static class Put implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Option(names = "--limit", paramLabel = "N", required = true, converter = CountConverter.class,
        description = "Concurrency limit, at least 1.")
    private int limit;

    @Option(names = "--time-zone", paramLabel = "ZONE",
        description = "IANA zone of the daily reset (default UTC).")
    private String timeZone;

    @Option(names = "--lease-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Default lease TTL, e.g. 30s, 5m, 1h (default 1h).")
    private Duration leaseTtl;

    @Option(names = "--daily-cap", paramLabel = "N", converter = CountConverter.class,
        description = "Counted calls per local day (default none).")
    private Integer dailyCap;

    @Option(names = "--calling-hours", paramLabel = "HOURS", converter = CallingHoursConverter.class,
        description = "Local-time windows outside which outbound calls are denied, e.g. "
            + "\"mon-fri 09:00-20:00, sat 10:00-14:00\" (default: none, always open).")
    private io.admission.v1.CallingHours callingHours;

    @Override
    public Integer call() {
      Org.Builder org = Org.newBuilder().setOrgId(orgId).setConcurrencyLimit(limit);
      if (timeZone != null) {
        org.setTimeZone(timeZone);
      }
      if (leaseTtl != null) {
        org.setDefaultLeaseTtl(DurationConverter.toProto(leaseTtl));
      }
      if (dailyCap != null) {
        org.setDailyCap(DailyCap.newBuilder().setCap(dailyCap));
      }
      if (callingHours != null) {
        org.setCallingHours(callingHours);
      }
      AdmissionCli cli = cli(spec);
      return cli.print(cli.admin().putOrg(PutOrgRequest.newBuilder().setOrg(org).build()));
    }
  }

  /** {@code put-org}: the first name of {@code org put}, kept for the scripts that use it. */
  @Command(name = "put-org", description = "The same as org put.")
  static final class PutOrg extends Put {}

  @Command(name = "get", description = "Shows an org with its reservations and limits.")
  static class Get implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Override
    public Integer call() {
      AdmissionCli cli = cli(spec);
      return cli.print(cli.admin().getOrg(GetOrgRequest.newBuilder().setOrgId(orgId).build()));
    }
  }

  /** {@code get-org}: the first name of {@code org get}. */
  @Command(name = "get-org", description = "The same as org get.")
  static final class GetOrg extends Get {}

  @Command(name = "list", description = "Lists orgs in org_id order, one page.")
  static class ListAll implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "100",
        converter = CountConverter.class)
    private int pageSize;

    @Option(names = "--page-token", paramLabel = "TOKEN", defaultValue = "",
        description = "nextPageToken of the previous page.")
    private String pageToken;

    @Override
    public Integer call() {
      AdmissionCli cli = cli(spec);
      return cli.print(cli.admin().listOrgs(ListOrgsRequest.newBuilder()
          .setPageSize(pageSize)
          .setPageToken(pageToken)
          .build()));
    }
  }

  /** {@code list-orgs}: the first name of {@code org list}. */
  @Command(name = "list-orgs", description = "The same as org list.")
  static final class ListOrgs extends ListAll {}

  /** The client these commands run in, whether they sit under {@code org} or at the top. */
  private static AdmissionCli cli(CommandSpec spec) {
    return (AdmissionCli) spec.root().userObject();
  }

  @Command(name = "delete", description = "Deletes an org with its reservations, limits and "
      + "counters. Refused while it has active or held calls; an unknown org prints deleted: false.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand
    private OrgCommand org;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Override
    public Integer call() {
      return org.cli.print(org.cli.admin().deleteOrg(
          DeleteOrgRequest.newBuilder().setOrgId(orgId).build()));
    }
  }
}
