package io.admission.server.audit;

import io.admission.v1.AuditEvent;
import java.io.IOException;
import java.util.List;

/**
 * Where audit events are kept, in sequence order. The audit writer thread is the only one that
 * appends, syncs and prunes; any thread may read at the same time.
 */
interface AuditStore extends AutoCloseable {
  /**
   * Where a page continues: the next event's sequence and, for files, where it starts.
   *
   * @param segment the first sequence of the file it is in (0 in memory)
   * @param offset its byte offset in that file (0 in memory)
   */
  record Position(long sequence, long segment, long offset) {}

  /** Events and where the next page starts, or null when nothing more can match. */
  record Page(List<AuditEvent> events, Position next) {}

  /** Writer thread: numbers the events from the next sequence on and keeps them. */
  void append(List<AuditEvent.Builder> events) throws IOException;

  /** Writer thread: makes everything appended durable. */
  void sync() throws IOException;

  /** Writer thread: forgets events older than {@code cutoffMillis} (the store says how exactly). */
  void prune(long cutoffMillis) throws IOException;

  /** Any thread: one page of {@code scan}'s events from {@code from}, or from the start. */
  Page read(Scan scan, Position from) throws IOException;

  @Override
  void close() throws IOException;

  /** An event's time in epoch milliseconds. */
  static long millis(AuditEvent event) {
    return event.getTime().getSeconds() * 1000 + event.getTime().getNanos() / 1_000_000;
  }
}
