package io.admission.server.auth;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Who may do what, for gRPC ({@link AccessInterceptor}) and the web page alike: recognises a
 * caller by its bearer token (and names it by its token's label or its client certificate), and
 * says whether its role allows a request ({@link Access#allows}).
 *
 * <p>Without {@code --auth} ({@link #off}) every caller is admin. With it, the tokens are those of
 * the file, re-read by {@link #reload} (on SIGHUP): a file that no longer reads keeps the tokens
 * in use and says why in one log line. Thread-safe: the tokens are one immutable value swapped at
 * once, so a request sees the old file or the new one, never half of each.
 */
public final class AccessControl {
  private static final System.Logger LOG = System.getLogger(AccessControl.class.getName());

  /** The one answer to a request without a known token, whatever it asked for. */
  public static final String UNAUTHENTICATED =
      "a known token is required: send the metadata \"authorization: Bearer <token>\"";
  /**
   * The one answer to a token used outside its role or org. The same words for every such
   * request, so that a refusal never tells whether the other org or call exists.
   */
  public static final String PERMISSION_DENIED =
      "this token's role does not allow this request for this org";

  private final Path file;
  private volatile Tokens tokens;

  private AccessControl(Path file, Tokens tokens) {
    this.file = file;
    this.tokens = tokens;
  }

  /** No {@code --auth}: every caller is admin. */
  public static AccessControl off() {
    return new AccessControl(null, null);
  }

  /** The tokens of {@code file}, checked whole. */
  public static AccessControl load(Path file) throws Tokens.Invalid {
    return new AccessControl(file, Tokens.load(file));
  }

  /** Whether callers need a token. */
  public boolean enabled() {
    return file != null;
  }

  /**
   * Reads the file again; on success its tokens replace the old ones at once, otherwise the old
   * ones stay and one line says why. Returns whether the new file was taken.
   */
  public boolean reload() {
    if (file == null) {
      return false;
    }
    try {
      Tokens loaded = Tokens.load(file);
      tokens = loaded;
      LOG.log(Level.INFO, "--auth reloaded: " + loaded.size() + " tokens from " + file);
      return true;
    } catch (Tokens.Invalid e) {
      LOG.log(Level.WARNING, "--auth not reloaded, the tokens in use stay: " + e.getMessage());
      return false;
    }
  }

  /**
   * The caller that sent {@code authorization} (an {@code Authorization} header or metadata
   * value, may be null) over a connection whose client certificate is {@code certificate} (its
   * subject, or null). Null when access control is on and the token is missing or unknown.
   */
  public Caller caller(String authorization, String certificate) {
    if (file == null) {
      return Caller.unchecked(certificate == null ? "" : certificate);
    }
    String token = bearer(authorization);
    return token == null ? null : tokens.find(token);
  }

  /** The token of {@code Bearer <token>} (the scheme in any case), or null. */
  static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.strip();
    if (value.length() <= 7 || !value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    String token = value.substring(7).strip();
    return token.isEmpty() ? null : token;
  }
}
