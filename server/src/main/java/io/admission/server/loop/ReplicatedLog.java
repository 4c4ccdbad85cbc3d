package io.admission.server.loop;

import io.admission.server.engine.Commands;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * A log that several replicas share (a Raft group), in place of the local {@link CommandLog}.
 * The loop does not apply its own callers' commands: it proposes each turn's commands as one
 * entry, and every replica, this one included, applies entries only once the log has committed
 * them, in the log's order, at the time the leader stamped on them ({@link
 * EventLoop#committed}). The replica that proposed an entry answers its callers as it applies it,
 * so an answer never promises what a failover could undo, and a caller's next read on the same
 * node sees its write.
 *
 * <p>Time belongs to the log: a replica lets the engine's time pass only as entries arrive, and the
 * leader proposes an empty entry (a tick) when a timer is due, so that every replica fires it at
 * the same instant.
 */
public interface ReplicatedLog {
  /**
   * Hands over one turn's commands from this node, in order, without waiting; {@code outcome}
   * learns, on any thread, what became of them.
   */
  void propose(long proposal, List<Commands.Command<?>> commands, List<String> actors,
      Outcome outcome);

  /** What became of a proposal. */
  interface Outcome {
    /**
     * The log committed it as entry {@code index}. This replica applies it in its turn — unless a
     * snapshot from the leader that covers {@code index} replaces this replica's state first.
     */
    void committed(long index);

    /**
     * The log could not take it (no leader, no quorum, this node stopping): {@code why} is a
     * sentence for the callers. The commands may still have been committed, which a retry by
     * call_id finds.
     */
    void refused(IOException why);
  }

  /**
   * Runs {@code then} once this replica has applied every entry the log had committed when this
   * was called (a Raft read index), so that a read after it sees every write answered before it,
   * on any node; {@code failed} instead when that cannot be learnt (no leader, no quorum). Either
   * is called on any thread.
   */
  void afterCommitted(Runnable then, Consumer<IOException> failed);

  /** This replica's mark on the entries it proposes: the same for one start of the server. */
  String origin();

  /** Whether this node orders the log now: only the leader proposes ticks. */
  boolean leading();

  /**
   * An entry the log committed, decoded, for the loop to apply: {@code done} is called on the
   * loop thread once it is applied (null) or when applying it threw (the replica stops applying).
   */
  record Committed(String origin, long proposal, long stampedAt,
      List<Commands.Command<?>> commands, List<String> actors, Consumer<Throwable> done) {}
}
