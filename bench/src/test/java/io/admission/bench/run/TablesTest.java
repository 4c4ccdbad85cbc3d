package io.admission.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The document's text is people's: a table replaces only what lies between its own markers. */
class TablesTest {
  @TempDir
  Path dir;

  private static Tables tables() {
    Tables t = new Tables("Measured at commit `abc`.");
    t.put("heap", List.of("item", "bytes"), List.of(List.of("live lease", "282.2")));
    return t;
  }

  @Test
  void replacesOnlyBetweenItsMarkers() throws Exception {
    Path doc = dir.resolve("BENCHMARKS.md");
    Files.writeString(doc, "# Benchmarks\n\nWhy heap matters.\n\n<!-- bench:heap -->\nold table\n<!-- /bench:heap -->\n\n"
        + "After.\n<!-- bench:other -->\nkept\n<!-- /bench:other -->\n");
    tables().replaceIn(doc);
    assertEquals("# Benchmarks\n\nWhy heap matters.\n\n<!-- bench:heap -->\nMeasured at commit `abc`.\n\n"
        + "| item | bytes |\n|---|---:|\n| live lease | 282.2 |\n<!-- /bench:heap -->\n\n"
        + "After.\n<!-- bench:other -->\nkept\n<!-- /bench:other -->\n", Files.readString(doc));
    tables().replaceIn(doc); // a second run replaces the first one's table, not adds to it
    assertEquals(1, Files.readString(doc).split("live lease", -1).length - 1);
  }

  @Test
  void aTableWithoutMarkersIsAnErrorAndTheDocumentIsLeftAlone() throws Exception {
    Path doc = dir.resolve("BENCHMARKS.md");
    Files.writeString(doc, "# Benchmarks\n<!-- /bench:heap -->\n<!-- bench:heap -->\n");
    assertThrows(IllegalStateException.class, () -> tables().replaceIn(doc));
    assertEquals("# Benchmarks\n<!-- /bench:heap -->\n<!-- bench:heap -->\n", Files.readString(doc));
  }

  @Test
  void aTableWithoutRowsIsLeftOutAndItsMarkersKeepTheirTable() throws Exception {
    Path doc = dir.resolve("BENCHMARKS.md");
    Files.writeString(doc, "<!-- bench:heap -->\nold\n<!-- /bench:heap -->\n<!-- bench:load -->\nkept\n<!-- /bench:load -->\n");
    Tables t = tables();
    t.put("load", List.of("A ÷ B", "ratio"), List.of());
    t.replaceIn(doc);
    assertTrue(Files.readString(doc).contains("<!-- bench:load -->\nkept\n<!-- /bench:load -->"), Files.readString(doc));
    assertTrue(Files.readString(doc).contains("| live lease | 282.2 |"), Files.readString(doc));
  }

  @Test
  void otherRunsWriteTheTablesWithTheirMarkersToAFileOfTheirOwn() throws Exception {
    Path file = dir.resolve("tables.md");
    tables().writeAll(file);
    String md = Files.readString(file);
    assertTrue(md.startsWith("<!-- bench:heap -->\nMeasured at commit `abc`."), md);
    assertTrue(md.contains("| live lease | 282.2 |\n<!-- /bench:heap -->"), md);
  }
}
