package io.admission.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library is what applications embed: it takes a Channel and nothing else. The command-line
 * client in {@code cli} is one user of the library, so the library never reaches into it (picocli
 * and the transport stay out of applications that only use the library).
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.admission.client");
  }

  @Test
  void theLibraryNeverUsesTheCommandLineClient() {
    noClasses().that().resideInAPackage("io.admission.client")
        .should().dependOnClassesThat().resideInAnyPackage("io.admission.client.cli..", "picocli..")
        .check(classes);
  }

  @Test
  void theLibraryChoosesNoTransport() {
    // Applications pick grpc-netty, grpc-netty-shaded or grpc-okhttp; the library builds channels
    // through Grpc.newChannelBuilder, which finds whichever is there.
    noClasses().that().resideInAPackage("io.admission.client")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc.netty..", "io.grpc.okhttp..")
        .check(classes);
  }

  @Test
  void packagesFormNoCycles() {
    // (**) names the library itself ("client") as one slice and "client.cli" as another.
    slices().matching("io.admission.(**)").should().beFreeOfCycles().check(classes);
  }
}
