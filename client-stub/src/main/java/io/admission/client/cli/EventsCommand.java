package io.admission.client.cli;

import io.admission.v1.AuditEvent;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListEventsResponse;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code events}: an org's audit log (ListEvents), oldest first, one AuditEvent per line of JSON.
 * Follows {@code next_page_token} to the end, one call per page, each with its own deadline; a
 * page may be empty while more follow (the server bounds the work per page).
 */
@Command(name = "events", description = "Prints an org's audit log, oldest first: every grant, "
    + "hold, dispatch, denial, release, expiry, cancellation and configuration change, one JSON "
    + "object per line.")
final class EventsCommand implements Callable<Integer> {
  @ParentCommand
  private AdmissionCli cli;

  @Option(names = "--org", paramLabel = "ORG", required = true)
  private String orgId;

  @Option(names = "--since", paramLabel = "TIME", converter = TimeConverter.class,
      description = "Only events at or after TIME: e.g. 2026-03-03T14:00:00Z, or 2h for two "
          + "hours ago (default: the oldest kept).")
  private Instant since;

  @Option(names = "--until", paramLabel = "TIME", converter = TimeConverter.class,
      description = "Only events before TIME, written as for --since (default: up to now).")
  private Instant until;

  @Option(names = "--page-size", paramLabel = "N", defaultValue = "1000",
      converter = CountConverter.class,
      description = "Events asked for per call, 1 to 1000 (default: ${DEFAULT-VALUE}).")
  private int pageSize;

  @Override
  public Integer call() {
    ListEventsRequest.Builder request =
        ListEventsRequest.newBuilder().setOrgId(orgId).setPageSize(pageSize);
    if (since != null) {
      request.setStartTime(TimeConverter.toProto(since));
    }
    if (until != null) {
      request.setEndTime(TimeConverter.toProto(until));
    }
    do {
      ListEventsResponse page = cli.monitor().listEvents(request.build());
      for (AuditEvent event : page.getEventsList()) {
        cli.print(event);
      }
      request.setPageToken(page.getNextPageToken());
    } while (!request.getPageToken().isEmpty());
    return 0;
  }
}
