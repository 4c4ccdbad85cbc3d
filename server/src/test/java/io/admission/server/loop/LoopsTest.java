package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Where orgs go among groups, and what spans the groups: ListOrgs, config, the bound on orgs. */
class LoopsTest {
  @Test
  void anOrgsGroupIsTheCrc32OfItsUtf8IdAndNeverChanges() {
    // Pinned: every node and every version must place an org in the same group, or its state is
    // lost from view. These are CRC-32 (zip's) of the ids, unsigned, modulo the groups.
    assertEquals(96778814L % 3, Loops.group("acme", 3));
    assertEquals(2, Loops.group("acme", 3));
    assertEquals(1, Loops.group("globex", 3));
    assertEquals(0, Loops.group("initech", 3));
    assertEquals(1, Loops.group("caf\u00e9", 4), "UTF-8 bytes, not chars");
    assertEquals(0, Loops.group("org-2", 4)); // 3105073500: above 2^31, taken unsigned
    for (String id : List.of("acme", "globex", "x")) {
      assertEquals(0, Loops.group(id, 1), "one group holds every org");
    }
  }

  @Test
  void manyOrgsSpreadOverEveryGroup() {
    int[] counts = new int[4];
    for (int i = 0; i < 4000; i++) {
      counts[Loops.group("org-" + i, 4)]++;
    }
    for (int c : counts) {
      assertTrue(c > 850 && c < 1150, "roughly even: " + java.util.Arrays.toString(counts));
    }
  }

  @Test
  void eachGroupIsBoundedByItsShareOfTheOrgsRoundedUp() {
    Engine.Bounds node = new Engine.Bounds(100, 7);
    assertEquals(new Engine.Bounds(100, 7), Loops.share(node, 1));
    assertEquals(new Engine.Bounds(34, 7), Loops.share(node, 3));
    assertEquals(new Engine.Bounds(1, 7), Loops.share(new Engine.Bounds(1, 7), 4));
    assertEquals(Integer.MAX_VALUE, Loops.share(Engine.Bounds.NONE, 3).maxOrgs());
  }

  @Test
  void aConfigIsSplitByGroupInTheFilesOrder() {
    List<Commands.OrgSetup> orgs = new ArrayList<>();
    for (String id : List.of("acme", "globex", "initech", "org-1", "org-2")) {
      orgs.add(new Commands.OrgSetup(org(id), List.of(), List.of(), List.of()));
    }
    List<Commands.ApplyConfig> parts = Loops.split(new Commands.ApplyConfig(orgs), 3);
    assertEquals(List.of("initech", "org-2"), ids(parts.get(0)));
    assertEquals(List.of("globex"), ids(parts.get(1)));
    assertEquals(List.of("acme", "org-1"), ids(parts.get(2)));
  }

  @Test
  void listOrgsPagesAcrossGroupsInOrgIdOrder() throws Exception {
    List<EventLoop> loops = new ArrayList<>();
    TreeSet<String> all = new TreeSet<>();
    for (int g = 0; g < 3; g++) {
      loops.add(new EventLoop(new Engine(), CommandLog.NONE, InstantSource.fixed(Instant.EPOCH), 100));
    }
    Loops groups = Loops.of(loops);
    for (int i = 0; i < 25; i++) {
      String id = "org-" + i;
      all.add(id);
      CompletableFuture<Results.AdminResult> put = new CompletableFuture<>();
      assertTrue(groups.of(id).submit(new Commands.PutOrg(org(id)), Reply.into(put)));
      loops.forEach(EventLoop::step);
      loops.forEach(EventLoop::step);
      assertTrue(put.get(5, TimeUnit.SECONDS) instanceof Results.OrgView, id);
    }
    for (int g = 0; g < 3; g++) {
      assertTrue(count(loops.get(g)) > 0, "group " + g + " holds some of the orgs");
    }
    for (int size : new int[] {1, 4, 7, 25, 100}) {
      List<String> seen = new ArrayList<>();
      String after = "";
      do {
        CompletableFuture<Results.AdminResult> page = new CompletableFuture<>();
        assertTrue(groups.listOrgs(after, size, Reply.into(page)));
        loops.forEach(EventLoop::step);
        Results.OrgPage p = (Results.OrgPage) page.get(5, TimeUnit.SECONDS);
        assertTrue(p.orgs().size() <= size);
        p.orgs().forEach(o -> seen.add(o.orgId()));
        after = p.nextPageToken();
      } while (!after.isEmpty());
      assertEquals(new ArrayList<>(all), seen, "pages of " + size + ": every org once, in order");
    }
  }

  @Test
  void aPageThatEndsExactlyAtTheLastOrgSaysNoMore() {
    Results.OrgPage a = new Results.OrgPage(List.of(org("a"), org("c")), "");
    Results.OrgPage b = new Results.OrgPage(List.of(org("b")), "");
    Results.OrgPage merged = Loops.merge(List.of(a, b), 3);
    assertEquals(List.of("a", "b", "c"), merged.orgs().stream().map(OrgConfig::orgId).toList());
    assertEquals("", merged.nextPageToken());
    Results.OrgPage cut = Loops.merge(List.of(a, b), 2);
    assertEquals("b", cut.nextPageToken());
    assertFalse(Loops.merge(List.of(new Results.OrgPage(List.of(org("a")), "a")), 1)
        .nextPageToken().isEmpty(), "a group with more says so");
  }

  private static int count(EventLoop loop) throws Exception {
    CompletableFuture<Integer> n = new CompletableFuture<>();
    loop.readNow((e, now) -> e.orgCount(), Reply.into(n));
    loop.step();
    return n.get(5, TimeUnit.SECONDS);
  }

  private static List<String> ids(Commands.ApplyConfig c) {
    return c.orgs().stream().map(o -> o.org().orgId()).toList();
  }

  private static OrgConfig org(String id) {
    return new OrgConfig(id, 3, Optional.empty(), ZoneOffset.UTC, OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT);
  }
}
