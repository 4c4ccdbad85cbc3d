package io.admission.server.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.StatusView;
import io.admission.server.api.InvalidRequest;
import io.admission.server.api.Responses;
import java.util.regex.Pattern;

/**
 * JSON for the web page: the admin and monitor messages in the proto JSON mapping with the
 * .proto's field names ({@code shared_capacity}, {@code line}), zeros included so the page never
 * has to guess a default, on one line (an SSE {@code data:} line cannot hold a newline). Errors
 * are {@code {"code": "FAILED_PRECONDITION", "message": "..."}} with the same text as the gRPC
 * status. Pure functions, safe on any thread.
 */
final class Json {
  private Json() {}

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .preservingProtoFieldNames()
      .alwaysPrintFieldsWithNoPresence()
      .omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  static String status(StatusView.Org org) {
    return print(Responses.status(org));
  }

  static String print(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
    }
  }

  /** Fills {@code builder} from a request body; unknown fields are an error, as in the API. */
  static <B extends Message.Builder> B parse(String body, B builder) throws InvalidRequest {
    try {
      PARSER.merge(body, builder);
      return builder;
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new InvalidRequest("body", "must be a " + builder.getDescriptorForType().getName()
          + " in the proto JSON mapping: " + why(e));
    }
  }

  /**
   * An exception's class name: the JSON parser's syntax errors arrive as the text of the exception
   * it wrapped ("com.google.gson.stream.MalformedJsonException: ...").
   */
  private static final Pattern EXCEPTION_CLASS = Pattern.compile(
      "\\b(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)\\b");

  /**
   * What the parser said, when it names a field or a value ("Cannot find field: limit in message
   * ..."); a fixed sentence when its text would show the server's insides.
   */
  /** The parser repeats what it could not place (a field name): a huge one is cut. */
  private static final int MAX_WHY = 200;

  static String why(Exception e) {
    String message = e.getMessage();
    if (e instanceof InvalidProtocolBufferException && message != null
        && !EXCEPTION_CLASS.matcher(message).find()) {
      return message.length() <= MAX_WHY ? message : message.substring(0, MAX_WHY) + "…";
    }
    return "not well-formed JSON";
  }

  /** The engine's refusal, worded as the gRPC status says it. */
  static String error(Rejection r) {
    String message = r.kind() == Rejection.Kind.INVALID_ARGUMENT
        ? r.field() + ": " + r.message() : r.message();
    return error(r.kind().name(), message);
  }

  static String error(InvalidRequest e) {
    return error("INVALID_ARGUMENT", e.describe());
  }

  static String error(String code, String message) {
    return "{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}";
  }

  /** A JSON string literal; escapes everything that is not printable ASCII. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
