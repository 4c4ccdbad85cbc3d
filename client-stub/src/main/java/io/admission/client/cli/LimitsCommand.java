package io.admission.client.cli;

import io.admission.v1.LoginLimits;
import io.admission.v1.NumberLimits;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code limits}: one login's or one number's limits of its own (SetLoginLimits,
 * SetNumberLimits). The server stores an override whole: a limit not given inherits the org's
 * default, so each command sends exactly the limits named, and {@code --inherit} removes the
 * override.
 */
@Command(name = "limits", description = "Sets one login's (seat's) or one caller-ID number's own "
    + "limits; a limit not given inherits the org's default.",
    subcommands = {LimitsCommand.Login.class, LimitsCommand.Number.class})
final class LimitsCommand {
  @ParentCommand
  AdmissionCli cli;

  @Command(name = "login", description = "Replaces a login's own limits with exactly these.")
  static final class Login implements Callable<Integer> {
    @ParentCommand
    private LimitsCommand limits;

    @Spec
    private CommandSpec spec;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Option(names = "--login", paramLabel = "LOGIN", required = true)
    private String loginId;

    @Option(names = "--max-concurrent", paramLabel = "N", converter = CountConverter.class,
        description = "Calls at once (0 = no limit).")
    private Integer maxConcurrent;

    @Option(names = "--max-per-window", paramLabel = "N", converter = CountConverter.class,
        description = "Calls started per rolling window (0 = no limit).")
    private Integer maxPerWindow;

    @Option(names = "--window", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "The rolling window, e.g. 1h.")
    private Duration window;

    @Option(names = "--inherit", description = "Removes the login's own limits: it follows the "
        + "org's login defaults again.")
    private boolean inherit;

    @Override
    public Integer call() {
      LoginLimits.Builder set = LoginLimits.newBuilder();
      if (maxConcurrent != null) {
        set.setMaxConcurrent(maxConcurrent);
      }
      if (maxPerWindow != null) {
        set.setMaxPerWindow(maxPerWindow);
      }
      if (window != null) {
        set.setWindow(DurationConverter.toProto(window));
      }
      checkOneOf(spec, inherit, !set.build().equals(LoginLimits.getDefaultInstance()));
      return limits.cli.print(limits.cli.admin().setLoginLimits(SetLoginLimitsRequest.newBuilder()
          .setOrgId(orgId)
          .setLoginId(loginId)
          .setLimits(set)
          .build()));
    }
  }

  @Command(name = "number", description = "Replaces a caller-ID number's own caps with exactly "
      + "these.")
  static final class Number implements Callable<Integer> {
    @ParentCommand
    private LimitsCommand limits;

    @Spec
    private CommandSpec spec;

    @Option(names = "--org", paramLabel = "ORG", required = true)
    private String orgId;

    @Option(names = "--number", paramLabel = "NUMBER", required = true)
    private String number;

    @Option(names = "--max-per-day", paramLabel = "N", converter = CountConverter.class,
        description = "Calls per local day; reaching it denies (0 = no cap).")
    private Integer maxPerDay;

    @Option(names = "--max-per-hour", paramLabel = "N", converter = CountConverter.class,
        description = "Calls per rolling hour; reaching it holds (0 = no cap).")
    private Integer maxPerHour;

    @Option(names = "--max-concurrent", paramLabel = "N", converter = CountConverter.class,
        description = "Calls at once; reaching it holds (0 = no cap).")
    private Integer maxConcurrent;

    @Option(names = "--inherit", description = "Removes the number's own caps: it follows the "
        + "org's number defaults again.")
    private boolean inherit;

    @Override
    public Integer call() {
      NumberLimits.Builder set = NumberLimits.newBuilder();
      if (maxPerDay != null) {
        set.setMaxPerDay(maxPerDay);
      }
      if (maxPerHour != null) {
        set.setMaxPerHour(maxPerHour);
      }
      if (maxConcurrent != null) {
        set.setMaxConcurrent(maxConcurrent);
      }
      checkOneOf(spec, inherit, !set.build().equals(NumberLimits.getDefaultInstance()));
      return limits.cli.print(limits.cli.admin().setNumberLimits(SetNumberLimitsRequest.newBuilder()
          .setOrgId(orgId)
          .setNumber(number)
          .setLimits(set)
          .build()));
    }
  }

  /**
   * An empty override is how the server removes one, so sending nothing by mistake would silently
   * drop limits an operator set: it must be asked for with --inherit, and alone.
   */
  private static void checkOneOf(CommandSpec spec, boolean inherit, boolean anyLimit) {
    if (inherit && anyLimit) {
      throw new ParameterException(spec.commandLine(), "--inherit removes the own limits; it "
          + "cannot be combined with a limit");
    }
    if (!inherit && !anyLimit) {
      throw new ParameterException(spec.commandLine(), "name at least one limit (e.g. "
          + "--max-concurrent 3), or --inherit to remove the own limits");
    }
  }
}
