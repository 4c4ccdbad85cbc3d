package io.admission.client.cli;

import io.admission.v1.CallingHours;
import io.admission.v1.CallingWindow;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads calling hours as "mon-fri 09:00-20:00, sat 10:00-14:00": days (one, or a range that may
 * wrap past Sunday) and a local time window, comma separated. The server checks the times.
 */
final class CallingHoursConverter implements ITypeConverter<CallingHours> {
  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

  @Override
  public CallingHours convert(String text) {
    CallingHours.Builder h = CallingHours.newBuilder();
    for (String part : text.split(",")) {
      String[] words = part.trim().split("\\s+");
      String[] times = words.length == 2 ? words[1].split("-") : new String[0];
      if (times.length != 2) {
        throw new TypeConversionException("'" + part.trim() + "' is not DAYS HH:MM-HH:MM,"
            + " e.g. mon-fri 09:00-20:00");
      }
      String[] days = words[0].toLowerCase(Locale.ROOT).split("-");
      int first = day(days[0]);
      int last = days.length == 2 ? day(days[1]) : first;
      if (days.length > 2) {
        throw new TypeConversionException("'" + words[0] + "' is not a day or a range of days");
      }
      for (int d = first; ; d = d % 7 + 1) {
        h.addWindows(CallingWindow.newBuilder().setWeekdayValue(d).setStart(times[0]).setEnd(times[1]));
        if (d == last) {
          break;
        }
      }
    }
    return h.build();
  }

  /** 1 for Monday ... 7 for Sunday. */
  private static int day(String name) {
    int i = DAYS.indexOf(name);
    if (i < 0) {
      throw new TypeConversionException("'" + name + "' is not a day: mon, tue, wed, thu, fri, sat, sun");
    }
    return i + 1;
  }
}
