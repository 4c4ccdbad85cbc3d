package io.admission.server.audit;

import io.admission.server.api.InvalidRequest;
import io.admission.v1.ListEventsResponse;
import java.io.IOException;

/**
 * The audit log as {@code ListEvents} reads it (implemented by {@code audit.AuditLog}). Called on
 * the monitor service's reader threads, never on the loop's: reading may touch the disk.
 * Implementations are thread-safe.
 */
public interface AuditReader {
  /**
   * One page request, already validated except for the token.
   *
   * @param startMillis only events at or after this time; {@link Long#MIN_VALUE} for all
   * @param endMillis only events before this time; {@link Long#MAX_VALUE} for all
   * @param pageToken empty for the first page
   */
  record Query(String orgId, long startMillis, long endMillis, int pageSize, String pageToken) {}

  /**
   * The page of {@code query.orgId()}'s events, oldest first.
   *
   * @throws InvalidRequest when the page token is malformed or belongs to another query
   * @throws IOException when the log cannot be read
   */
  ListEventsResponse list(Query query) throws InvalidRequest, IOException;
}
