package io.admission.server;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What the transports log about connections, one line per interval at most. A client that sends
 * garbage to the gRPC port makes Netty log "Transport failed" with a stack trace, once per
 * connection, so anyone who reaches the port could fill the log and bury what matters. Every
 * record of gRPC's Netty and of the JDK's HTTP server goes through this one handler instead of
 * the root's: the first in an interval is written as one line without its stack trace (the
 * exception's own one-line text stands for it), the rest are only counted, and the next line
 * written says how many were left out.
 *
 * <p>Both transports log through java.util.logging (the HTTP server through System.Logger, which
 * maps to it); the lines that are let through go to the root logger's handlers, wherever those
 * write.
 */
final class TransportLog extends Handler {
  /** The loggers whose records (and their children's) are limited here. */
  static final List<String> LOGGERS = List.of("io.grpc.netty.shaded", "com.sun.net.httpserver");
  static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** Longer lines are cut: a record may carry a hex dump of what the client sent. */
  static final int MAX_LINE = 400;

  /** Held here so that the configuration lives as long as the class: JUL keeps loggers weakly. */
  private static final List<Logger> HELD = LOGGERS.stream().map(Logger::getLogger).toList();
  private static TransportLog installed;

  private final LongSupplier nanoTime;
  private final SimpleFormatter formatter = new SimpleFormatter();
  private long lastWritten;
  private boolean writtenOnce;
  private long leftOut;

  TransportLog(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** Puts the limiter in front of the transports' loggers; once per JVM, later calls do nothing. */
  static synchronized void install() {
    if (installed != null) {
      return;
    }
    installed = new TransportLog(System::nanoTime);
    for (Logger logger : HELD) {
      logger.setUseParentHandlers(false);
      logger.addHandler(installed);
    }
  }

  @Override
  public void publish(LogRecord record) {
    LogRecord line;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      if (writtenOnce && now - lastWritten < INTERVAL_NANOS) {
        leftOut++;
        return;
      }
      line = line(record, leftOut);
      writtenOnce = true;
      lastWritten = now;
      leftOut = 0;
    }
    for (Handler h : Logger.getLogger("").getHandlers()) {
      if (h.isLoggable(line)) {
        h.publish(line);
      }
    }
  }

  /** The record as one line: its message, its exception's own text, and what was left out. */
  LogRecord line(LogRecord record, long leftOutBefore) {
    StringBuilder b = new StringBuilder(formatter.formatMessage(record));
    if (record.getThrown() != null) {
      b.append(": ").append(record.getThrown());
    }
    String text = b.toString().replaceAll("\\s+", " ");
    if (text.length() > MAX_LINE) {
      text = text.substring(0, MAX_LINE) + "…";
    }
    if (leftOutBefore > 0) {
      text += " (" + leftOutBefore + " more transport log lines left out before this one, at most one"
          + " per " + TimeUnit.NANOSECONDS.toSeconds(INTERVAL_NANOS) + " s)";
    }
    LogRecord line = new LogRecord(record.getLevel(), text);
    line.setLoggerName(record.getLoggerName());
    line.setInstant(record.getInstant());
    return line;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
