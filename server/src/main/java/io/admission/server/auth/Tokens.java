package io.admission.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The tokens of an {@code --auth} file: one a line, {@code <sha256 hex of the token> <role>
 * [label]}, {@code #} starts a comment, blank lines are skipped. Only hashes are kept, so the file
 * (and this object) holds nothing a client could send.
 *
 * <p>Immutable: a reload builds a new one. Lookup hashes the presented token and compares it with
 * every entry in constant time ({@link MessageDigest#isEqual}), so how long it takes says nothing
 * about which hash, or how much of one, matched. Files hold tens of tokens, not thousands.
 */
public final class Tokens {
  private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{64}");

  /** A line that is not a token, named by file and line number. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(Path file, int line, String cause) {
      super(file + ": line " + line + ": " + cause, null, false, false);
    }

    Invalid(Path file, IOException e) {
      super(file + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()),
          e, false, false);
    }
  }

  private record Entry(byte[] hash, Caller caller) {}

  private final List<Entry> entries;

  private Tokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Reads and checks the whole file: one bad line and no token of it is used. */
  public static Tokens load(Path file) throws Invalid {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Invalid(file, e);
    }
    List<Entry> entries = new ArrayList<>();
    List<Integer> lineOf = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      int lineNo = i + 1;
      String line = lines.get(i);
      int hashMark = line.indexOf('#');
      String text = (hashMark < 0 ? line : line.substring(0, hashMark)).strip();
      if (text.isEmpty()) {
        continue;
      }
      String[] parts = text.split("\\s+", 3);
      if (parts.length < 2) {
        throw new Invalid(file, lineNo, "expected \"<sha256 hex of the token> <role> [label]\"");
      }
      if (!HASH.matcher(parts[0]).matches()) {
        throw new Invalid(file, lineNo, "the first word must be the token's SHA-256 in 64 hex digits"
            + " (echo -n \"$token\" | sha256sum), got " + parts[0].length() + " characters");
      }
      Role role;
      try {
        role = Role.parse(parts[1]);
      } catch (IllegalArgumentException e) {
        throw new Invalid(file, lineNo, e.getMessage());
      }
      byte[] hash = HexFormat.of().parseHex(parts[0].toLowerCase(java.util.Locale.ROOT));
      for (int j = 0; j < entries.size(); j++) {
        if (MessageDigest.isEqual(entries.get(j).hash(), hash)) {
          throw new Invalid(file, lineNo, "the same token as line " + lineOf.get(j));
        }
      }
      String label = parts.length == 3 ? parts[2] : "";
      entries.add(new Entry(hash, new Caller(role, label.isEmpty() ? unlabelled(parts[0]) : label)));
      lineOf.add(lineNo);
    }
    return new Tokens(entries);
  }

  /** No tokens at all: every token is unknown. */
  public static Tokens none() {
    return new Tokens(List.of());
  }

  public int size() {
    return entries.size();
  }

  /** The caller {@code token} stands for, or null when no line of the file has its hash. */
  public Caller find(String token) {
    byte[] hash = sha256(token);
    Caller found = null;
    for (Entry e : entries) { // every entry, match or not: the time does not depend on where
      if (MessageDigest.isEqual(e.hash(), hash)) {
        found = e.caller();
      }
    }
    return found;
  }

  /** The SHA-256 of a token's UTF-8 bytes, as {@code sha256sum} computes it. */
  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** A token without a label is named in the audit log by the start of its hash, never the token. */
  private static String unlabelled(String hashHex) {
    return "token " + hashHex.substring(0, 12).toLowerCase(java.util.Locale.ROOT);
  }
}
