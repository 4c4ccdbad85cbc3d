package io.admission.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Markdown tables for docs/BENCHMARKS.md, whose text people write: a full run replaces only what lies between
 * {@code <!-- bench:NAME -->} and {@code <!-- /bench:NAME -->}; other runs write the tables to a file of their own.
 */
final class Tables {
  private final String caption;
  private final Map<String, String> tables = new LinkedHashMap<>();

  /** {@code caption}: the line above every table, saying where its figures come from. */
  Tables(String caption) {
    this.caption = caption;
  }

  /** A table of {@code rows}; none, no table: what a run did not measure leaves the document's table alone. */
  void put(String name, List<String> header, List<List<String>> rows) {
    if (rows.isEmpty()) {
      return;
    }
    StringBuilder md = new StringBuilder(caption).append("\n\n").append(line(header)).append("|---|");
    md.append("---:|".repeat(header.size() - 1)).append('\n');
    rows.forEach(r -> md.append(line(r)));
    tables.put(name, md.toString());
  }

  private static String line(List<String> cells) {
    return "| " + String.join(" | ", cells) + " |\n";
  }

  /** Every table into {@code doc} between its markers; a missing marker is an error, not a table dropped. */
  void replaceIn(Path doc) throws IOException {
    String text = Files.readString(doc);
    for (Map.Entry<String, String> t : tables.entrySet()) {
      String open = marker(t.getKey(), "");
      int start = text.indexOf(open);
      int end = text.indexOf(marker(t.getKey(), "/"));
      if (start < 0 || end < start) {
        throw new IllegalStateException(doc + " has no " + open + " … " + marker(t.getKey(), "/") + " for its table");
      }
      text = text.substring(0, start + open.length()) + "\n" + t.getValue() + text.substring(end);
    }
    Files.writeString(doc, text);
  }

  void writeAll(Path file) throws IOException {
    StringBuilder md = new StringBuilder();
    tables.forEach((name, table) ->
        md.append(marker(name, "")).append('\n').append(table).append(marker(name, "/")).append("\n\n"));
    Files.writeString(file, md);
  }

  private static String marker(String name, String slash) {
    return "<!-- " + slash + "bench:" + name + " -->";
  }
}
