package io.admission.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why the server cannot start, as the one line a person reads: the flag, the port or path, and the
 * cause ({@code --listen 127.0.0.1:50051: address already in use}). The exception behind it, if
 * any, is its cause, for the log at debug level: an operator needs the sentence, not the stack.
 */
final class CannotStart extends Exception {
  private static final long serialVersionUID = 1L;
  /** Netty's native transport: {@code bind(..) failed with error(-98): Address already in use}. */
  private static final Pattern SYSCALL = Pattern.compile("[a-z]+\\(\\.\\.\\) failed[^:]*: (.*)");

  CannotStart(String message, Throwable cause) {
    super(message, cause);
  }

  /** A port that could not be bound, named by the option that asked for it. */
  static CannotStart binding(String option, String hostPort, Exception e) {
    return new CannotStart(option + " " + hostPort + ": " + rootCause(e), e);
  }

  /** Something in a directory or file the server needs, named by the option that gave it. */
  static CannotStart file(String option, Object path, IOException e) {
    String message = e.getMessage();
    if (e instanceof AccessDeniedException a) {
      message = "cannot write " + a.getFile() + ": permission denied";
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      message = f.getFile() + ": " + sentence(f.getReason());
    } else if (message != null && message.contains(option)) {
      return new CannotStart(message, e); // already names the option and the path
    }
    return new CannotStart(option + " " + path + ": " + message, e);
  }

  /**
   * The innermost cause's message, as a clause: {@code address already in use}, not gRPC's
   * {@code Failed to bind to address ...} or Netty's {@code bind(..) failed with error(-98): Address
   * already in use}.
   */
  static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof UncheckedIOException u && u.getCause() != null) {
      root = u.getCause();
    }
    String message = root.getMessage();
    if (message == null) {
      return root.getClass().getSimpleName();
    }
    Matcher syscall = SYSCALL.matcher(message);
    return sentence(syscall.matches() ? syscall.group(1) : message);
  }

  /** "Address already in use" → "address already in use"; leaves "IPv6 ..." alone. */
  private static String sentence(String clause) {
    if (clause.length() > 1 && Character.isUpperCase(clause.charAt(0))
        && Character.isLowerCase(clause.charAt(1))) {
      return clause.substring(0, 1).toLowerCase(Locale.ROOT) + clause.substring(1);
    }
    return clause;
  }
}
