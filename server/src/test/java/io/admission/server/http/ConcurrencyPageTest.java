package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.admission.server.auth.AccessControl;
import io.admission.v1.AgentStatus;
import io.admission.v1.AgentTypeStatus;
import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.SetReservationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.Color;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page end to end in headless Chromium: calls are driven through gRPC, as a dialer would,
 * and the page — opened once, never reloaded — must follow them live: the pool, the agents table,
 * the queue, the Compliance Monitor lines turning yellow at 80 % and red at the limit; and an
 * operator editing a reservation over the limit sees the server's error while nothing changes.
 *
 * <p>Leaves a screenshot of the page in target/concurrency-page.png; with {@code
 * -Dadmission.screenshot=docs} (`make screenshot`) it refreshes docs/concurrency-page.png, the
 * README's picture, so an ordinary test run leaves the working tree clean.
 */
class ConcurrencyPageTest {
  private static final Duration LIVE = Duration.ofSeconds(10);
  private static final String ORG = "acme";
  private static final CallType INBOUND = CallType.CALL_TYPE_INBOUND;
  private static final CallType OUTBOUND = CallType.CALL_TYPE_OUTBOUND;
  private static final String MARKUP_LOGIN = "<b>night</b>";

  @TempDir Path profile;
  private WebFixture server;
  private ChromeDriver browser;
  private WebDriverWait live;

  @BeforeEach
  void start() throws Exception {
    browser = HeadlessChromium.start(profile); // skips or fails first if Chromium is missing
    server = new WebFixture();
    live = new WebDriverWait(browser, LIVE, Duration.ofMillis(50));
    live.ignoring(StaleElementReferenceException.class);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void followsCallsLiveAndRefusesAReservationOverTheLimit() throws Exception {
    // 12 slots: 3 reserved for support's inbound calls, 2 for payments' outbound, 7 shared.
    server.putOrg(Org.newBuilder().setOrgId(ORG).setConcurrencyLimit(12).setTimeZone("America/New_York")
        .setDailyCap(DailyCap.newBuilder().setCap(500)).build());
    server.putOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(2).build());
    server.reserve(ORG, "support", INBOUND, 3);
    server.reserve(ORG, "payments", OUTBOUND, 2);
    server.loginLimit(ORG, "seat-1", 5);
    server.loginLimit(ORG, "seat-2", 5);

    browser.get(server.url() + "/");
    Select picker = new Select(browser.findElement(By.id("org-picker")));
    expectText(By.id("pool-text"), "0 / 12 in use"); // the first org is watched at once
    expectText(By.id("cluster"), "Cluster: single node");
    picker.selectByValue("beta");
    expectText(By.id("pool-text"), "0 / 2 in use");
    picker.selectByValue(ORG);
    expectText(By.id("pool-text"), "0 / 12 in use");
    expectText(By.id("shared-text"), "0 / 7 in use");
    ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");

    // Support's inbound calls take its reserved slots.
    acquire("in-1", "support", INBOUND, "desk-1");
    acquire("in-2", "support", INBOUND, "desk-2");
    expectText(By.id("pool-text"), "2 / 12 in use");
    expectText(By.id("reserved-text"), "2 / 5 in use");
    expectText(agentCell("support", "using-reserved"), "2");

    // seat-1 may run 5 at once: OK at 3, NEAR (yellow) at 4 = 80 %, AT_LIMIT (red) at 5.
    for (int i = 1; i <= 3; i++) {
      acquire("s1-" + i, "sales", OUTBOUND, "seat-1");
    }
    expectLogin("seat-1", "Active now: 3/5 concurrent · Last hour: 3/250", "LOGIN_LEVEL_OK");
    assertEquals(Shade.PLAIN, shadeOf("seat-1"));
    acquire("s1-4", "sales", OUTBOUND, "seat-1");
    expectLogin("seat-1", "Active now: 4/5 concurrent · Last hour: 4/250", "LOGIN_LEVEL_NEAR");
    assertEquals(Shade.YELLOW, shadeOf("seat-1"));
    acquire("s1-5", "sales", OUTBOUND, "seat-1");
    expectLogin("seat-1", "Active now: 5/5 concurrent · Last hour: 5/250", "LOGIN_LEVEL_AT_LIMIT");
    assertEquals(Shade.RED, shadeOf("seat-1"));
    expectText(By.id("shared-text"), "5 / 7 in use");

    // payments: 2 calls on its reservation, 2 more on the shared pool, which is then full.
    for (int i = 1; i <= 4; i++) {
      acquire("p-" + i, "payments", OUTBOUND, "seat-2");
    }
    expectLogin("seat-2", "Active now: 4/5 concurrent · Last hour: 4/250", "LOGIN_LEVEL_NEAR");
    assertEquals(Shade.YELLOW, shadeOf("seat-2"));
    expectText(agentCell("payments", "using-reserved"), "2");
    expectText(agentCell("payments", "using-shared"), "2");
    expectText(By.id("shared-text"), "7 / 7 in use");

    // The next shared call is held: the queue and its oldest wait show it.
    assertEquals(Outcome.OUTCOME_HELD,
        server.acquire(ORG, "s3-1", "sales", OUTBOUND, "seat-3").getOutcome());
    expectText(By.id("queue-text"), "1 call held");
    expectText(By.id("held-by-reason"), "Held because: org pool full: 1");
    expect("the oldest wait in seconds", () -> text(By.id("oldest-wait")).matches("\\d+ s"));
    expectText(By.id("pool-text"), "11 / 12 in use");
    expectText(By.id("daily-used"), "9 / 500"); // outbound calls count toward the daily cap
    expect("the reset time in the org's zone",
        () -> text(By.id("daily-resets")).matches("· resets .*12:00.AM \\(America/New_York\\)"));
    assertFalse(browser.findElement(By.id("calling-hours")).isDisplayed(), "no calling hours yet");

    Path base = Path.of(System.getProperty("basedir", "."));
    screenshot(base.resolve("target/concurrency-page.png"));
    if ("docs".equals(System.getProperty("admission.screenshot"))) {
      screenshot(base.resolve("../docs/concurrency-page.png"));
    }

    // Ids are shown as text, never as markup.
    server.loginLimit(ORG, MARKUP_LOGIN, 3);
    expectText(loginPart(MARKUP_LOGIN, "login-id"), MARKUP_LOGIN);
    expectText(loginPart(MARKUP_LOGIN, "line"), "Active now: 0/3 concurrent · Last hour: 0/250");
    assertTrue(browser.findElements(By.cssSelector("#logins b")).isEmpty(), "no <b> element made from data");

    // Edit reservations over the limit: the server's words, and nothing changes.
    StatusRuntimeException grpcSays = assertThrows(StatusRuntimeException.class,
        () -> server.admin.setReservation(SetReservationRequest.newBuilder().setOrgId(ORG)
            .setAgentId("support").setCallType(INBOUND).setSlots(20).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, grpcSays.getStatus().getCode());
    editReservation("support", INBOUND, 20);
    expectText(By.id("edit-error"), grpcSays.getStatus().getDescription());
    assertTrue(browser.findElement(By.id("edit-dialog")).isDisplayed(), "the dialog stays open");
    assertEquals(3, reserved(server.status(ORG), "support", INBOUND), "the reservation is unchanged");
    assertEquals(7, server.status(ORG).getSharedCapacity());
    expectText(agentCell("support", INBOUND), "3");
    expectText(By.id("shared-text"), "7 / 7 in use");
    browser.findElement(By.id("edit-cancel")).click();

    // A valid edit frees a shared slot at once: the held call is dispatched, live.
    editReservation("support", INBOUND, 2);
    expectText(agentCell("support", INBOUND), "2");
    expectText(By.id("queue-text"), "0 calls held");
    expectText(By.id("oldest-wait"), "—");
    expectText(By.id("shared-text"), "8 / 8 in use");
    expectText(By.id("pool-text"), "12 / 12 in use");
    expect("the dialog closed", () -> !browser.findElement(By.id("edit-dialog")).isDisplayed());

    // Remove agent: its reservations return to the shared pool; its calls keep running.
    openMenu("payments").findElement(By.cssSelector(".remove-agent")).click();
    browser.findElement(By.id("remove-confirm")).click();
    expectText(agentCell("payments", OUTBOUND), "0");
    expectText(agentCell("payments", "using-shared"), "4");
    expectText(By.id("shared-text"), "10 / 10 in use");
    expectText(By.id("reserved-text"), "2 / 2 in use");

    // A call ends: the numbers go down again.
    server.release(ORG, "s1-1");
    expectLogin("seat-1", "Active now: 4/5 concurrent · Last hour: 5/250", "LOGIN_LEVEL_NEAR");
    expectText(By.id("pool-text"), "11 / 12 in use");

    // Calling hours set by an operator show at once: open or closed, and when that changes.
    io.admission.v1.CallingHours.Builder hours = io.admission.v1.CallingHours.newBuilder();
    for (int day = 1; day <= 7; day++) { // open all day but the last minute
      hours.addWindows(io.admission.v1.CallingWindow.newBuilder().setWeekdayValue(day)
          .setStart("00:00").setEnd("23:59"));
    }
    server.admin.updateOrg(io.admission.v1.UpdateOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId(ORG).setCallingHours(hours))
        .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("calling_hours")).build());
    expect("the calling hours shown",
        () -> text(By.id("calling-open")).matches("(open|closed) for outbound calls"));
    expect("when they change, in the org's zone",
        () -> text(By.id("calling-changes")).matches("· (opens|closes) .* \\(America/New_York\\)"));

    assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser).executeScript("return window.notReloaded;"),
        "every change arrived without a reload");
  }

  // ---- Driving the page -------------------------------------------------------------------

  private void acquire(String callId, String agentId, CallType type, String loginId) {
    assertEquals(Outcome.OUTCOME_GRANTED,
        server.acquire(ORG, callId, agentId, type, loginId).getOutcome(), callId);
  }

  private WebElement openMenu(String agentId) {
    WebElement row = browser.findElement(agentRow(agentId));
    row.findElement(By.cssSelector(".menu-button")).click();
    WebElement menu = row.findElement(By.cssSelector(".menu"));
    live.until(d -> menu.isDisplayed());
    return menu;
  }

  private void editReservation(String agentId, CallType type, int slots) {
    openMenu(agentId).findElement(By.cssSelector(".edit-reservations")).click();
    live.until(d -> d.findElement(By.id("edit-dialog")).isDisplayed());
    new Select(browser.findElement(By.id("edit-type"))).selectByValue(type.name());
    WebElement input = browser.findElement(By.id("edit-slots"));
    input.clear();
    input.sendKeys(Integer.toString(slots));
    browser.findElement(By.id("edit-save")).click();
  }

  private void screenshot(Path file) throws Exception {
    long height = (Long) ((JavascriptExecutor) browser)
        .executeScript("return document.documentElement.scrollHeight;");
    browser.manage().window().setSize(new Dimension(1280, (int) Math.min(2400, height + 140)));
    Files.createDirectories(file.getParent());
    Files.write(file.normalize(), browser.getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void showsTheClusterNodesWhichLeadsAndFollowsALeaderChange() throws Exception {
    server.close();
    AtomicReference<GetClusterStatusResponse> cluster =
        new AtomicReference<>(WebClusterTest.threeNodes("n1", 120));
    server = new WebFixture(AccessControl.off(), WebClusterTest.view(cluster));
    server.putOrg(Org.newBuilder().setOrgId(ORG).setConcurrencyLimit(2).build());

    browser.get(server.url() + "/");
    expectText(By.id("pool-text"), "0 / 2 in use");
    expectText(By.cssSelector("#cluster > span:first-child"), "Cluster: 3 nodes, n1 leads");
    expectText(node("n1"), "n1 leader · applied 120");
    expectText(node("n2"), "n2 follower · applied 120 · this page");
    expectText(node("n3"), "n3 follower · applied 118");
    assertEquals("10.0.0.3:6000", browser.findElement(node("n3")).getDomAttribute("title"));

    // The page asks again every few seconds, without a reload.
    ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
    cluster.set(WebClusterTest.threeNodes("", 125));
    expectText(By.cssSelector("#cluster > span:first-child"), "Cluster: 3 nodes, no leader known");
    expectText(node("n1"), "n1 role unknown · applied 125");
    cluster.set(WebClusterTest.threeNodes("n3", 130));
    expectText(By.cssSelector("#cluster > span:first-child"), "Cluster: 3 nodes, n3 leads");
    expectText(node("n3"), "n3 leader · applied 128");
    expectText(node("n1"), "n1 follower · applied 130");
    assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser).executeScript("return window.notReloaded;"));
  }

  private static By node(String nodeId) {
    return By.cssSelector("#cluster .node[data-node='" + nodeId + "']");
  }

  // ---- What the page shows ----------------------------------------------------------------

  private static By agentRow(String agentId) {
    return By.cssSelector("#agents-body tr[data-agent='" + agentId + "']");
  }

  private static By agentCell(String agentId, CallType type) {
    return By.cssSelector("#agents-body tr[data-agent='" + agentId + "'] td[data-type='" + type.name()
        + "'] .reserved");
  }

  private static By agentCell(String agentId, String column) {
    return By.cssSelector("#agents-body tr[data-agent='" + agentId + "'] td." + column);
  }

  private By loginPart(String loginId, String part) {
    return By.cssSelector("#logins li[data-login='" + loginId + "'] ." + part);
  }

  private void expectLogin(String loginId, String line, String level) {
    expectText(loginPart(loginId, "line"), line);
    By item = By.cssSelector("#logins li[data-login='" + loginId + "']");
    expect(loginId + " at level " + level,
        () -> level.equals(browser.findElement(item).getDomAttribute("data-level")));
  }

  private enum Shade { PLAIN, YELLOW, RED }

  /** The login line's background as a person would name it. */
  private Shade shadeOf(String loginId) {
    WebElement item = browser.findElement(By.cssSelector("#logins li[data-login='" + loginId + "']"));
    java.awt.Color c = Color.fromString(item.getCssValue("background-color")).getColor();
    if (c.getRed() > 200 && c.getGreen() > 170 && c.getBlue() < 120) {
      return Shade.YELLOW;
    }
    if (c.getRed() > 180 && c.getGreen() < 100 && c.getBlue() < 100) {
      return Shade.RED;
    }
    if (c.getAlpha() == 0 || (c.getRed() > 230 && c.getGreen() > 230 && c.getBlue() > 230)) {
      return Shade.PLAIN;
    }
    return fail("neither plain, yellow nor red: " + c);
  }

  private static int reserved(OrgStatus status, String agentId, CallType type) {
    for (AgentStatus a : status.getAgentsList()) {
      if (a.getAgentId().equals(agentId)) {
        for (AgentTypeStatus t : a.getTypesList()) {
          if (t.getCallType() == type) {
            return t.getReserved();
          }
        }
      }
    }
    return 0;
  }

  private String text(By by) {
    List<WebElement> found = browser.findElements(by);
    try {
      return found.isEmpty() ? "<absent>" : found.get(0).getText();
    } catch (StaleElementReferenceException e) {
      return "<re-rendered>";
    }
  }

  /** Waits until the element shows exactly {@code expected}; the page must get there by itself. */
  private void expectText(By by, String expected) {
    try {
      live.until(d -> expected.equals(text(by)));
    } catch (TimeoutException e) {
      fail("after " + LIVE.toSeconds() + " s " + by + " shows \"" + text(by) + "\", expected \""
          + expected + "\"");
    }
  }

  private void expect(String what, Supplier<Boolean> condition) {
    try {
      live.until(d -> condition.get());
    } catch (TimeoutException e) {
      fail("after " + LIVE.toSeconds() + " s still not: " + what);
    }
  }
}
