package io.admission.client.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a count for a {@code uint32} field: a whole number, 0 or more. */
final class CountConverter implements ITypeConverter<Integer> {
  @Override
  public Integer convert(String text) {
    try {
      int count = Integer.parseInt(text);
      if (count >= 0) {
        return count;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new TypeConversionException("'" + text + "' is not a count (0 or more)");
  }
}
