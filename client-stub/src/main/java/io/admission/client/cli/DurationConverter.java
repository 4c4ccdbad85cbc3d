package io.admission.client.cli;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations written like {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1h30m}. */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");
  private static final Map<String, ChronoUnit> UNITS = Map.of(
      "ms", ChronoUnit.MILLIS, "s", ChronoUnit.SECONDS, "m", ChronoUnit.MINUTES,
      "h", ChronoUnit.HOURS, "d", ChronoUnit.DAYS);

  @Override
  public Duration convert(String text) {
    return parse(text);
  }

  static Duration parse(String text) {
    Matcher part = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (end < text.length() && part.find(end) && part.start() == end) {
      total = total.plus(Long.parseLong(part.group(1)), UNITS.get(part.group(2)));
      end = part.end();
    }
    if (end == 0 || end != text.length()) {
      throw new TypeConversionException(
          "'" + text + "' is not a duration such as 500ms, 30s, 5m, 1h or 1h30m");
    }
    return total;
  }

  /** The same duration as a {@code google.protobuf.Duration}. */
  static com.google.protobuf.Duration toProto(Duration duration) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(duration.getSeconds())
        .setNanos(duration.getNano())
        .build();
  }
}
