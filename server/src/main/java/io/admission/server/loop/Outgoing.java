package io.admission.server.loop;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What turns send once the command log holds them durably, oldest turn first: answers, stream
 * events and what observers see. Nothing leaves before its turn's sync, so no client, audit
 * record or metric learns of a change that a crash could still undo. A turn the log lost, or one
 * that applied a command that threw, is answered with the error instead — every request of it
 * (commands, reads and new watches alike), so none waits forever.
 *
 * <p>Owned by the loop's thread.
 */
final class Outgoing {
  private static final System.Logger LOG = System.getLogger(Outgoing.class.getName());

  /** One turn's sends, in the order the turn made them. */
  static final class Turn {
    private final List<Runnable> onDurable = new ArrayList<>();
    private final List<Consumer<IOException>> onLost = new ArrayList<>();
    /** The log's entry count after this turn: it is durable once the log's reaches it. */
    private long position;
    /** Set when the turn cannot be answered as done: it is answered with this instead. */
    private IOException lost;

    /** Runs {@code send} once the turn is durable. */
    void send(Runnable send) {
      onDurable.add(send);
    }

    /** Runs {@code fail} instead if the turn is lost. */
    void onLost(Consumer<IOException> fail) {
      onLost.add(fail);
    }

    /** The turn will not be durable (or applied a command that threw): fail it with {@code e}. */
    void lose(IOException e) {
      lost = e;
    }

    void position(long entries) {
      position = entries;
    }
  }

  private final ArrayDeque<Turn> awaiting = new ArrayDeque<>();

  /** Queues a finished turn behind the ones still waiting for the log. */
  void add(Turn turn) {
    awaiting.addLast(turn);
  }

  /**
   * Sends, oldest first, what every turn the log now holds durably produced, and stops at the
   * first that is not yet durable: later turns wait behind it. If the log failed, the waiting
   * turns are failed, and {@code logFailed} is told first.
   */
  void sendDurable(CommandLog log, Consumer<IOException> logFailed) {
    long durable = log.durable();
    for (Turn t = awaiting.peekFirst(); t != null; t = awaiting.peekFirst()) {
      IOException lost = t.lost;
      if (t.position > durable && lost == null) {
        lost = log.failure();
        if (lost == null) {
          return;
        }
        logFailed.accept(lost);
      }
      awaiting.pollFirst();
      if (lost == null) {
        for (Runnable send : t.onDurable) {
          try {
            send.run();
          } catch (Throwable e) {
            LOG.log(Level.WARNING, "sending an answer failed", e);
          }
        }
      } else {
        for (Consumer<IOException> fail : t.onLost) {
          try {
            fail.accept(lost);
          } catch (Throwable e) {
            LOG.log(Level.WARNING, "sending a failure failed", e);
          }
        }
      }
    }
  }
}
