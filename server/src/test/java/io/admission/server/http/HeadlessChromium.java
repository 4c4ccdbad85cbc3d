package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, driven through Debian's ChromeDriver (packages chromium and
 * chromium-driver; .ci/run installs them). Selenium is pointed at both binaries, so it never runs
 * Selenium Manager and never downloads a browser or a driver.
 */
final class HeadlessChromium {
  private HeadlessChromium() {}

  /**
   * Selenium warns that it knows no CDP newer than its own release; this test uses WebDriver only.
   * Held here so the level sticks (java.util.logging keeps loggers weakly).
   */
  private static final Logger CDP_LOG = Logger.getLogger("org.openqa.selenium.devtools");

  static {
    CDP_LOG.setLevel(Level.SEVERE);
  }

  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  /**
   * Starts a browser with a fresh profile in {@code profile}. Without the binaries the test is
   * skipped with a message on a developer's machine, and fails in CI (the variable CI is set).
   */
  static ChromeDriver start(Path profile) {
    if (!Files.isExecutable(CHROMEDRIVER) || !Files.isExecutable(CHROMIUM)) {
      String missing = "the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
          + " (Debian packages chromium and chromium-driver)";
      if (System.getenv("CI") != null) {
        fail(missing + "; CI must have them: .ci/run installs them when /usr/bin/chromedriver is absent");
      }
      Assumptions.abort("skipped: " + missing
          + "; install them with `apt-get install -y chromium chromium-driver` to run it");
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // The flags that work on this closed network (the machine notes): without the
    // background-networking ones Chromium keeps dialing Google and is refused.
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--lang=en-US", "--window-size=1280,1000", "--hide-scrollbars",
        "--user-data-dir=" + profile.toAbsolutePath());
    return new ChromeDriver(service, options);
  }
}
