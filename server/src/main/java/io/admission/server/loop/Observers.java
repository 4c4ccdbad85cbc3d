package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Event;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The loop's observers (the audit log, metrics). They are told what was applied and what the
 * engine emitted only from what a turn sends once it is durable ({@link Outgoing}): audit and
 * metrics must not record what a crash could undo. An observer that throws is logged and never
 * affects an answer or another observer.
 *
 * <p>Added from any thread; called on the loop's thread.
 */
final class Observers {
  private static final System.Logger LOG = System.getLogger(Observers.class.getName());

  private final List<LoopObserver> observers = new CopyOnWriteArrayList<>();

  void add(LoopObserver observer) {
    observers.add(observer);
  }

  void applied(Commands.Command<?> command, Object result, long now, String actor) {
    for (LoopObserver o : observers) {
      try {
        o.applied(command, result, now, actor);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  void event(Event event, long now, String actor) {
    for (LoopObserver o : observers) {
      try {
        o.event(event, now, actor);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  /** A turn ended; sent at once (it describes the loop's work, not the state). */
  void turn(int tasks, long nanos) {
    for (LoopObserver o : observers) {
      try {
        o.turn(tasks, nanos);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  /** One of this node's proposals was applied here; sent at once, like {@link #turn}. */
  void committed(long nanos) {
    for (LoopObserver o : observers) {
      try {
        o.committed(nanos);
      } catch (RuntimeException e) {
        failed(o, e);
      }
    }
  }

  private static void failed(LoopObserver o, RuntimeException e) {
    LOG.log(Level.WARNING, "observer " + o + " failed; ignoring", e);
  }
}
