package io.admission.server.engine;

import java.util.ArrayList;
import java.util.List;

/** {@link RandomCommands} for tests outside the engine package: setup first, then random steps. */
public final class RandomHistories {
  /** A command and the time the loop stamped on it. */
  public record Stamped(Commands.Command<?> command, long at) {}

  private final RandomCommands commands;
  private boolean started;
  private long lastAt;

  public RandomHistories(long seed) {
    this.commands = new RandomCommands(seed);
  }

  /** The next {@code n} commands (the orgs' setup comes first, once). */
  public List<Stamped> next(int n) {
    List<Stamped> out = new ArrayList<>();
    if (!started) {
      started = true;
      commands.setup().forEach(s -> out.add(new Stamped(s.command(), s.at())));
    }
    for (int i = 0; i < n; i++) {
      RandomCommands.Stamped s = commands.next();
      out.add(new Stamped(s.command(), s.at()));
    }
    lastAt = out.get(out.size() - 1).at();
    return out;
  }

  /** The time of the last command handed out. */
  public long lastAt() {
    return lastAt;
  }
}
