package io.admission.server.auth;

/**
 * Who sent a request, once access control has recognised it: the role that decides what it may
 * do, and the name the audit log records for what it changes ({@link #actor}).
 */
public record Caller(Role role, String actor) {
  /** Anyone, when the server runs without {@code --auth}: admin, named only by a certificate if any. */
  public static Caller unchecked(String actor) {
    return new Caller(new Role.Admin(), actor);
  }
}
