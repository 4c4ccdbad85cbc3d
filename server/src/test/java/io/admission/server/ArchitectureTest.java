package io.admission.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout is the architecture (STYLE.md): dependencies point inward to {@code engine}, which is
 * pure — no gRPC, no protobuf, no threads, no clock, no I/O — so it stays deterministic and can be
 * replayed from a log.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.admission.server");
  }

  @Test
  void engineDependsOnNothingOutsideTheJdkBasics() {
    // No I/O of any kind; text encoding (java.nio.charset, for the ended-call log) is computation.
    noClasses().that().resideInAPackage("..engine..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.grpc..", "com.google..", "io.admission.v1..", "java.util.concurrent..",
            "java.io..", "java.nio", "java.nio.file..", "java.nio.channels..", "java.net..",
            "io.admission.server.loop..", "io.admission.server.grpc..",
            "io.admission.server.config..")
        .check(classes);
  }

  @Test
  void engineReadsNoClock() {
    noClasses().that().resideInAPackage("..engine..")
        .should().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Clock")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.InstantSource")
        .orShould().callMethod(java.time.Instant.class, "now")
        .orShould().callMethod(java.time.LocalDate.class, "now")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .check(classes);
  }

  @Test
  void loopKnowsNothingOfGrpc() {
    noClasses().that().resideInAPackage("..loop..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.grpc..", "io.admission.v1..", "io.admission.server.grpc..")
        .check(classes);
  }

  @Test
  void accessControlKnowsNoServiceAndTheLoopKnowsNoCaller() {
    // One check for gRPC and the web page alike: it reads requests, never the services behind them.
    noClasses().that().resideInAPackage("..auth..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.admission.server.grpc..", "io.admission.server.http..", "io.admission.server.loop..",
            "io.admission.server.engine..", "io.admission.server.journal..")
        .check(classes);
    noClasses().that().resideInAnyPackage("..loop..", "..engine..", "..journal..")
        .should().dependOnClassesThat().resideInAPackage("io.admission.server.auth..")
        .check(classes);
  }

  @Test
  void onlyTheEntryPointDependsOnTheGrpcEdge() {
    // Journal, config, audit and http share the proto <-> command mapping in api, never grpc.
    noClasses().that().resideOutsideOfPackages("io.admission.server.grpc..")
        .and().doNotHaveFullyQualifiedName("io.admission.server.Main")
        .should().dependOnClassesThat().resideInAPackage("io.admission.server.grpc..")
        .check(classes);
  }
}
