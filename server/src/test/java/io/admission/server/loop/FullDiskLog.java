package io.admission.server.loop;

import io.admission.server.engine.Commands;
import java.io.IOException;

/** A journal whose disk is full: every append fails, naming {@code path} (tests of failure words). */
public final class FullDiskLog implements CommandLog {
  private final String path;

  public FullDiskLog(String path) {
    this.path = path;
  }

  @Override
  public long append(Commands.Command<?> command, long stampedAt) throws IOException {
    throw new IOException(path + ": No space left on device");
  }

  @Override
  public void retract(long entry) {}

  @Override
  public long commit() {
    return 0;
  }

  @Override
  public long durable() {
    return Long.MAX_VALUE;
  }

  @Override
  public IOException failure() {
    return null;
  }

  @Override
  public void onProgress(Runnable wake) {}

  @Override
  public String where(long entry) {
    return path;
  }
}
