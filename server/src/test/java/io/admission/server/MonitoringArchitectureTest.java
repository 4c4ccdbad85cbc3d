package io.admission.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.admission.server.metrics.Telemetry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Metrics and the audit log watch the loop from outside: the engine and the loop know nothing of
 * them, and the server codes against the OpenTelemetry API only — the SDK, the exporter and the
 * gRPC instrumentation are wired in one place ({@link Telemetry}, used by Main).
 */
class MonitoringArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.admission.server");
  }

  @Test
  void engineAndLoopDoNotKnowTheirObservers() {
    noClasses().that().resideInAnyPackage("..engine..", "..loop..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.admission.server.audit..", "io.admission.server.metrics..", "io.opentelemetry..")
        .check(classes);
  }

  @Test
  void onlyTelemetryTouchesTheSdk() {
    noClasses().that().doNotHaveFullyQualifiedName(Telemetry.class.getName())
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.opentelemetry.sdk..", "io.opentelemetry.exporter..",
            "io.opentelemetry.instrumentation..")
        .check(classes);
  }
}
