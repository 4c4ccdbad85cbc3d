package io.admission.client.cli;

import io.admission.v1.CallType;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code webcall}, {@code chat}, {@code outbound} or {@code inbound}, in any case. */
final class CallTypeConverter implements ITypeConverter<CallType> {
  @Override
  public CallType convert(String text) {
    String name = text.trim().toUpperCase(Locale.ROOT);
    for (CallType type : CallType.values()) {
      boolean known = type != CallType.CALL_TYPE_UNSPECIFIED && type != CallType.UNRECOGNIZED;
      if (known && (type.name().equals(name) || type.name().equals("CALL_TYPE_" + name))) {
        return type;
      }
    }
    throw new TypeConversionException(
        "'" + text + "' is not a call type: webcall, chat, outbound or inbound");
  }
}
