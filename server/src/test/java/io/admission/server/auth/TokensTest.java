package io.admission.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --auth file: what a line may say, and the one line naming file, line and cause when it may not. */
class TokensTest {
  @TempDir Path tmp;

  private static String hash(String token) {
    return HexFormat.of().formatHex(Tokens.sha256(token));
  }

  private Tokens load(String text) throws Tokens.Invalid, java.io.IOException {
    return Tokens.load(Files.writeString(tmp.resolve("tokens"), text));
  }

  private String invalid(String text) throws java.io.IOException {
    Path file = Files.writeString(tmp.resolve("tokens"), text);
    return assertThrows(Tokens.Invalid.class, () -> Tokens.load(file)).getMessage()
        .replace(file.toString(), "FILE");
  }

  @Test
  void eachLineIsAHashARoleAndALabelWithCommentsAndBlankLines() throws Exception {
    Tokens t = load("# ops\n\n" + hash("a") + " admin  night shift ops   # paged\n"
        + hash("b").toUpperCase() + "\torg:acme\n" + hash("c") + " monitor:*\n" + hash("d") + " monitor:acme wall\n");
    assertEquals(4, t.size());
    assertEquals(new Caller(new Role.Admin(), "night shift ops"), t.find("a"));
    assertEquals(new Role.Org("acme"), t.find("b").role());
    assertEquals("token " + hash("b").substring(0, 12), t.find("b").actor());
    assertEquals(new Role.Monitor("*"), t.find("c").role());
    assertEquals(new Caller(new Role.Monitor("acme"), "wall"), t.find("d"));
    assertNull(t.find("e"));
    assertNull(t.find(hash("a")), "the hash is not the token");
  }

  @Test
  void aBadLineNamesTheFileTheLineAndTheCause() throws Exception {
    assertEquals("FILE: line 2: unknown role \"boss\" (roles: admin, org:<org_id>, monitor:<org_id>, monitor:*)",
        invalid("# x\n" + hash("a") + " boss\n"));
    assertEquals("FILE: line 1: the first word must be the token's SHA-256 in 64 hex digits"
        + " (echo -n \"$token\" | sha256sum), got 6 characters", invalid("secret admin\n"));
    assertEquals("FILE: line 3: expected \"<sha256 hex of the token> <role> [label]\"",
        invalid(hash("a") + " admin\n\n" + hash("b") + "\n"));
    assertEquals("FILE: line 1: role org: names no org (org:<org_id>)", invalid(hash("a") + " org:\n"));
    assertEquals("FILE: line 2: the same token as line 1", invalid(hash("a") + " admin\n" + hash("a") + " org:x\n"));
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = tmp.resolve("nope");
    assertEquals(missing + ": no such file",
        assertThrows(Tokens.Invalid.class, () -> Tokens.load(missing)).getMessage());
  }

  @Test
  void theBearerSchemeIsReadInAnyCase() {
    assertEquals("t0k", AccessControl.bearer("Bearer t0k"));
    assertEquals("t0k", AccessControl.bearer("bearer  t0k "));
    assertNull(AccessControl.bearer("Basic dXNlcg=="));
    assertNull(AccessControl.bearer("Bearer "));
    assertNull(AccessControl.bearer(null));
  }
}
