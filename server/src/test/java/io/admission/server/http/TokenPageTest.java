package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.auth.AccessControl;
import io.admission.v1.Org;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page under --auth in headless Chromium: it asks for a token, follows the org live with
 * it (the event stream included), and shows edit controls only to an admin token.
 */
class TokenPageTest {
  @TempDir Path profile;
  @TempDir Path tmp;
  private WebFixture server;
  private ChromeDriver browser;
  private WebDriverWait live;

  @BeforeEach
  void start() throws Exception {
    browser = HeadlessChromium.start(profile);
    Path tokens = Files.writeString(tmp.resolve("tokens"),
        hash("adm") + " admin ops\n" + hash("wall") + " monitor:acme wallboard\n");
    server = new WebFixture(AccessControl.load(tokens));
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(4).build());
    server.putOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(2).build());
    live = new WebDriverWait(browser, Duration.ofSeconds(10), Duration.ofMillis(50));
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String hash(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }

  private void signIn(String token) {
    browser.get(server.url() + "/");
    live.until(d -> d.findElement(By.id("token-form")).isDisplayed());
    browser.findElement(By.id("token")).sendKeys(token);
    browser.findElement(By.cssSelector("#token-form button")).click();
    live.until(d -> d.findElement(By.id("pool-text")).getText().equals("0 / 4 in use"));
  }

  @Test
  void aMonitorTokenSeesItsOrgLiveAndNoEditControls() throws Exception {
    signIn("wall");
    assertEquals(List.of("acme"), new Select(browser.findElement(By.id("org-picker"))).getOptions()
        .stream().map(o -> o.getText()).toList());
    assertFalse(browser.findElement(By.id("add-form")).isDisplayed());
    assertFalse(browser.findElement(By.id("settings")).isDisplayed());
    assertFalse(browser.findElement(By.id("token-form")).isDisplayed());
    server.acquire("acme", "c-1", "", io.admission.v1.CallType.CALL_TYPE_CHAT, "");
    live.until(d -> d.findElement(By.id("pool-text")).getText().equals("1 / 4 in use")); // the stream
  }

  @Test
  void anAdminTokenSeesTheEditControls() throws Exception {
    signIn("adm");
    assertTrue(browser.findElement(By.id("add-form")).isDisplayed());
    assertTrue(browser.findElement(By.id("settings")).isDisplayed());
    assertEquals(2, new Select(browser.findElement(By.id("org-picker"))).getOptions().size());
  }
}
