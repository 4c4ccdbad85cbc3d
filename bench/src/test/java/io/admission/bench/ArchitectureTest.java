package io.admission.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks (engine, load) stand on their own; the runner and its command line ({@code run})
 * drive them and format what they measure, never the other way round.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.admission.bench");
  }

  @Test
  void packagesAreFreeOfCycles() {
    slices().matching("io.admission.bench.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void engineBenchmarksMeasureTheEngineAlone() {
    // In the engine's JVM: no gRPC, no load generator, nothing of the server but its engine.
    noClasses().that().resideInAPackage("io.admission.bench.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "io.admission.bench.load..",
            "io.admission.server.grpc..", "io.admission.server.loop..", "io.admission.server.journal..")
        .check(classes);
  }

  @Test
  void benchmarksNeverDependOnTheRunner() {
    noClasses().that().resideInAnyPackage("io.admission.bench.engine..", "io.admission.bench.load..")
        .should().dependOnClassesThat().resideInAPackage("io.admission.bench.run..")
        .check(classes);
  }
}
