package io.admission.server.audit;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Event;
import io.admission.server.engine.Rejection;
import io.admission.server.loop.LoopObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit log's eyes in the loop. Runs on the loop thread and does as little as it can there:
 * it keeps what the audit records (decisions, configuration changes, every event) in a list and
 * hands the list to the writer once per turn — one queue operation per turn, no conversion, no
 * I/O, never a wait. Refusals, Renew and Release results are skipped: a refusal changes nothing,
 * and what a Release did arrives as its own event.
 */
final class AuditRecorder implements LoopObserver {
  private final AuditLog log;
  private List<Observed> turn = new ArrayList<>();

  AuditRecorder(AuditLog log) {
    this.log = log;
  }

  @Override
  public void applied(Commands.Command<?> command, Object result, long now, String actor) {
    if (result instanceof Rejection || command instanceof Commands.Renew
        || command instanceof Commands.Release || command instanceof Commands.Tick) {
      return;
    }
    turn.add(new Observed.Applied(command, result, now, actor));
  }

  @Override
  public void event(Event event, long now, String actor) {
    turn.add(new Observed.Happened(event, now, actor));
  }

  @Override
  public void turn(int tasks, long nanos) {
    if (!turn.isEmpty()) {
      log.submit(turn);
      turn = new ArrayList<>();
    }
  }
}
