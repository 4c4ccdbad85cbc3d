package io.admission.server;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads command-line durations written like {@code 90s}, {@code 12h}, {@code 7d}, {@code 1d12h}. */
final class DurationOption implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
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
    if (end == 0 || end != text.length() || total.isZero()) {
      throw new TypeConversionException(
          "'" + text + "' is not a positive duration such as 90s, 12h, 7d or 1d12h");
    }
    return total;
  }
}
