package io.admission.server;

import static com.tngtech.archunit.base.DescribedPredicate.and;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout is the architecture: dependencies point inward to {@code engine}, which is pure — no
 * gRPC, no protobuf, no threads, no clock, no I/O — so it stays deterministic and can be replayed
 * from a log. The edges (gRPC, the web page) are thin: they translate through {@code api} and hand
 * commands to the {@code loop}.
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
  void everyPackageKeepsToItsLayer() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .ensureAllClassesAreContainedInArchitecture()
        // Top: wiring only (Main, the running server, its options); only it sees every package.
        .layer("Main").definedBy("io.admission.server")
        // Edges: one per transport, nothing below calls back up into them.
        .layer("Grpc").definedBy("io.admission.server.grpc..")
        .layer("Http").definedBy("io.admission.server.http..")
        // Access control, one check for both edges: it reads requests, never what serves them.
        .layer("Auth").definedBy("io.admission.server.auth..")
        // Services around the loop.
        .layer("Audit").definedBy("io.admission.server.audit..")
        .layer("Config").definedBy("io.admission.server.config..")
        .layer("Metrics").definedBy("io.admission.server.metrics..")
        .layer("Journal").definedBy("io.admission.server.journal..")
        // A cluster node's replicated log (Apache Ratis): another implementation of the loop's
        // log port, writing the journal's own records.
        .layer("Cluster").definedBy("io.admission.server.cluster..")
        // The proto <-> command mapping, shared by every reader of requests so none needs grpc.
        .layer("Api").definedBy("io.admission.server.api..")
        .layer("Loop").definedBy("io.admission.server.loop..")
        .layer("Engine").definedBy("io.admission.server.engine..")

        .whereLayer("Main").mayNotBeAccessedByAnyLayer()
        .whereLayer("Grpc").mayOnlyBeAccessedByLayers("Main")
        .whereLayer("Http").mayOnlyBeAccessedByLayers("Main")
        .whereLayer("Auth").mayOnlyBeAccessedByLayers("Main", "Grpc", "Http")
        .whereLayer("Auth").mayNotAccessAnyLayer()
        // The monitor service answers audit queries, so the gRPC edge reads the audit log.
        .whereLayer("Audit").mayOnlyBeAccessedByLayers("Main", "Grpc")
        .whereLayer("Config").mayOnlyBeAccessedByLayers("Main")
        .whereLayer("Metrics").mayOnlyBeAccessedByLayers("Main")
        .whereLayer("Cluster").mayOnlyBeAccessedByLayers("Main")
        .whereLayer("Journal").mayOnlyBeAccessedByLayers("Main", "Cluster")
        .whereLayer("Api").mayOnlyBeAccessedByLayers(
            "Main", "Grpc", "Http", "Audit", "Config", "Journal")
        // The loop owns its ports (Applier, CommandLog, ReplicatedLog, LoopObserver): the journal,
        // the cluster and the observers implement them, so they point at the loop and the loop at none of them.
        .whereLayer("Loop").mayOnlyBeAccessedByLayers(
            "Main", "Grpc", "Http", "Audit", "Metrics", "Journal", "Cluster")
        .whereLayer("Api").mayOnlyAccessLayers("Engine")
        .whereLayer("Loop").mayOnlyAccessLayers("Engine")
        .whereLayer("Engine").mayNotAccessAnyLayer()
        // Audit files use the journal's record frame (length, CRC32C, payload) so one reader
        // checks both; that frame is the only thing the audit takes from the journal.
        .ignoreDependency(
            resideInAPackage("io.admission.server.audit.."),
            and(resideInAPackage("io.admission.server.journal"), simpleName("Records")))
        .check(classes);
  }

  @Test
  void packagesFormNoCycles() {
    slices().matching("io.admission.server.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void journalConfigAuditAndHttpNeverDependOnGrpc() {
    // They share the proto <-> command mapping in api; grpc is one edge among two.
    noClasses().that().resideInAnyPackage(
            "io.admission.server.journal..", "io.admission.server.config..",
            "io.admission.server.audit..", "io.admission.server.http..")
        .should().dependOnClassesThat().resideInAPackage("io.admission.server.grpc..")
        .check(classes);
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
}
