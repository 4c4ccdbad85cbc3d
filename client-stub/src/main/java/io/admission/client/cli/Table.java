package io.admission.client.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --output table}: a result for people. Singular fields become "field  value" rows, nested
 * messages flattened to dotted names (daily_cap.cap); each list of messages (an org's
 * reservations, a page of orgs) becomes a table of its own with one column per field any of its
 * rows sets. Values are written as in the proto JSON mapping (durations as 3600s, times in
 * RFC 3339), so table and JSON never disagree; fields at their default value are left out.
 */
final class Table {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private Table() {}

  static String render(MessageOrBuilder message) {
    Map<String, String> rows = new LinkedHashMap<>();
    Map<String, List<? extends MessageOrBuilder>> lists = new LinkedHashMap<>();
    flatten("", message, rows, lists);
    StringBuilder out = new StringBuilder();
    int width = rows.keySet().stream().mapToInt(String::length).max().orElse(0);
    rows.forEach((name, value) -> out.append(pad(name, width)).append("  ").append(value).append('\n'));
    lists.forEach((name, items) -> {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append(name).append(" (").append(items.size()).append(")\n");
      out.append(columns(items));
    });
    return out.toString().stripTrailing();
  }

  /** One row per item, one column per field set in any item, left-aligned. */
  private static String columns(List<? extends MessageOrBuilder> items) {
    List<Map<String, String>> cells = new ArrayList<>();
    Set<String> header = new LinkedHashSet<>();
    for (MessageOrBuilder item : items) {
      Map<String, String> row = new LinkedHashMap<>();
      Map<String, List<? extends MessageOrBuilder>> nested = new LinkedHashMap<>();
      flatten("", item, row, nested);
      nested.forEach((name, list) -> row.put(name, list.size() + " items"));
      header.addAll(row.keySet());
      cells.add(row);
    }
    Map<String, Integer> widths = new LinkedHashMap<>();
    for (String column : header) {
      int width = column.length();
      for (Map<String, String> row : cells) {
        width = Math.max(width, row.getOrDefault(column, "").length());
      }
      widths.put(column, width);
    }
    StringBuilder out = new StringBuilder();
    line(out, widths, column -> column);
    for (Map<String, String> row : cells) {
      line(out, widths, column -> row.getOrDefault(column, ""));
    }
    return out.toString();
  }

  private static void line(StringBuilder out, Map<String, Integer> widths,
      java.util.function.Function<String, String> cell) {
    StringBuilder line = new StringBuilder();
    widths.forEach((column, width) -> line.append(pad(cell.apply(column), width)).append("  "));
    out.append(line.toString().stripTrailing()).append('\n');
  }

  private static void flatten(String prefix, MessageOrBuilder message, Map<String, String> rows,
      Map<String, List<? extends MessageOrBuilder>> lists) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      String name = prefix + descriptor.getName();
      Object value = field.getValue();
      if (descriptor.isRepeated()) {
        List<?> items = (List<?>) value;
        if (descriptor.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !isWellKnown(descriptor)) {
          @SuppressWarnings("unchecked")
          List<? extends MessageOrBuilder> messages = (List<? extends MessageOrBuilder>) items;
          lists.put(name, messages);
        } else {
          List<String> texts = new ArrayList<>();
          items.forEach(item -> texts.add(scalar(descriptor, item)));
          rows.put(name, String.join(", ", texts));
        }
      } else if (descriptor.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && !isWellKnown(descriptor)) {
        flatten(name + ".", (MessageOrBuilder) value, rows, lists);
      } else {
        rows.put(name, scalar(descriptor, value));
      }
    }
  }

  private static boolean isWellKnown(FieldDescriptor field) {
    return field.getMessageType().getFile().getPackage().equals("google.protobuf");
  }

  private static String scalar(FieldDescriptor field, Object value) {
    return switch (field.getJavaType()) {
      case ENUM -> value.toString();
      case MESSAGE -> json((Message) value);
      default -> String.valueOf(value);
    };
  }

  /** A well-known type (Duration, Timestamp) as the JSON mapping writes it, without quotes. */
  private static String json(Message value) {
    try {
      String text = JSON.print(value);
      return text.startsWith("\"") ? text.substring(1, text.length() - 1) : text;
    } catch (InvalidProtocolBufferException e) {
      return value.toString().strip();
    }
  }

  private static String pad(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }
}
