package io.admission.bench.run;

import io.admission.bench.engine.HeapFootprint;
import io.admission.bench.load.ContendedCommand;
import io.admission.bench.load.FailoverCommand;
import io.admission.bench.load.LoadCommand;
import io.admission.bench.load.NoopServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar bench/target/admission-bench.jar <command>}: without one, picocli lists them. */
@Command(name = "admission-bench", mixinStandardHelpOptions = true,
    description = "Admission benchmarks: engine (JMH), end-to-end load, the no-op and Redis peers.", subcommands = {
        RunCommand.class, LoadCommand.class, ContendedCommand.class, FailoverCommand.class, NoopServerCommand.class,
        HeapFootprint.class})
public final class BenchCli {
  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchCli()).execute(args));
  }
}
