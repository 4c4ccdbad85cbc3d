package io.admission.server.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.admission.server.api.InvalidRequest;
import io.admission.server.api.Statuses;
import java.util.regex.Pattern;

/**
 * The web API's one JSON dialect: the proto JSON mapping exactly as {@code JsonFormat.printer()}
 * writes it — lowerCamelCase names, enum value names, fields at their default left out — which is
 * what the CLI and {@code buf curl} show for the same messages. Printed on one line, since an SSE
 * {@code data:} line cannot hold a newline. Errors are the {@code google.rpc.Status} the gRPC
 * call would have ended with ({@link Statuses}). Pure functions, safe on any thread.
 */
final class Json {
  private Json() {}

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .usingTypeRegistry(TypeRegistry.newBuilder().add(Statuses.DETAIL_TYPES).build())
      .omittingInsignificantWhitespace();
  /** Unknown fields are an error, as in the API; names may be lowerCamel or the .proto's. */
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  static String print(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
    }
  }

  /** Fills {@code builder} from a request body, or names the body as the field at fault. */
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

  /** The parser repeats what it could not place (a field name): a huge one is cut. */
  private static final int MAX_WHY = 200;

  /**
   * What the parser said, when it names a field or a value ("Cannot find field: limit in message
   * ..."); a fixed sentence when its text would show the server's insides.
   */
  static String why(Exception e) {
    String message = e.getMessage();
    if (e instanceof InvalidProtocolBufferException && message != null
        && !EXCEPTION_CLASS.matcher(message).find()) {
      return message.length() <= MAX_WHY ? message : message.substring(0, MAX_WHY) + "…";
    }
    return "not well-formed JSON";
  }
}
