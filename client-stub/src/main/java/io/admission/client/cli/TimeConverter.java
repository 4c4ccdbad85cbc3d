package io.admission.client.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a moment: an RFC 3339 time such as {@code 2026-03-03T14:00:00Z} or
 * {@code 2026-03-03T09:00:00-05:00}, or a duration ago such as {@code 15m} or {@code 1d}.
 */
final class TimeConverter implements ITypeConverter<Instant> {
  @Override
  public Instant convert(String text) {
    return parse(text, Instant.now());
  }

  static Instant parse(String text, Instant now) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notATime) {
      try {
        Duration ago = DurationConverter.parse(text);
        return now.minus(ago);
      } catch (TypeConversionException notADuration) {
        throw new TypeConversionException("'" + text + "' is neither a time such as "
            + "2026-03-03T14:00:00Z nor a duration ago such as 15m, 2h or 1d");
      }
    }
  }

  /** The same moment as a {@code google.protobuf.Timestamp}. */
  static com.google.protobuf.Timestamp toProto(Instant t) {
    return com.google.protobuf.Timestamp.newBuilder()
        .setSeconds(t.getEpochSecond())
        .setNanos(t.getNano())
        .build();
  }
}
