package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * This node's loops, one per group of orgs ({@code --groups}), and which one holds an org. Orgs
 * are independent, so each group has its own engine, loop and (in a cluster) Raft log; the edges
 * send an org's requests to its group's loop ({@link #of}) and merge what spans every org
 * ({@link #listOrgs}). A server with one group has one loop, and every org is in it.
 */
public final class Loops {
  private final List<EventLoop> loops;

  private Loops(List<EventLoop> loops) {
    if (loops.isEmpty()) {
      throw new IllegalArgumentException("at least one loop");
    }
    this.loops = List.copyOf(loops);
  }

  /** One loop that holds every org. */
  public static Loops of(EventLoop loop) {
    return new Loops(List.of(loop));
  }

  /** Loop {@code g} holds the orgs {@link #group} puts in group {@code g}. */
  public static Loops of(List<EventLoop> loops) {
    return new Loops(loops);
  }

  /**
   * The group that holds {@code orgId} among {@code groups}: the CRC-32 (ISO-HDLC, as in zip and
   * PNG) of the id's UTF-8 bytes, unsigned, modulo {@code groups}. Fixed by a standard, not by
   * this JVM or this build, so that every node and every version of the server agrees on where an
   * org's state is; changing it, like changing {@code --groups} over a data directory, would
   * lose orgs.
   */
  public static int group(String orgId, int groups) {
    CRC32 crc = new CRC32();
    crc.update(orgId.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % groups);
  }

  /** How many groups. */
  public int size() {
    return loops.size();
  }

  /** The loop of group {@code g}. */
  public EventLoop group(int g) {
    return loops.get(g);
  }

  /** Every loop, group 0 first. */
  public List<EventLoop> all() {
    return loops;
  }

  /** The loop that holds {@code orgId} (an id the request may not even have checked yet). */
  public EventLoop of(String orgId) {
    return loops.size() == 1 ? loops.get(0) : loops.get(group(orgId, loops.size()));
  }

  /**
   * Each group's bound on orgs, out of {@code maxOrgs} for the whole node: an even share, rounded
   * up. Every group checks its own share as it applies a command, so the bound is the same on
   * every replica and needs no count across groups (which would race); the cost is that orgs that
   * hash unevenly may fill one group's share while the node holds fewer than {@code maxOrgs}, and
   * the node may hold up to {@code groups - 1} more than it.
   */
  public static Engine.Bounds share(Engine.Bounds node, int groups) {
    if (node.maxOrgs() == Integer.MAX_VALUE) {
      return node; // no bound stays no bound
    }
    int orgs = (int) Math.min(Integer.MAX_VALUE, ((long) node.maxOrgs() + groups - 1) / groups);
    return new Engine.Bounds(orgs, node.maxHeldPerOrg());
  }

  /**
   * {@code config}'s orgs by group: part {@code g} holds those {@link #group} puts in group
   * {@code g}, in the file's order (a part may be empty).
   */
  public static List<Commands.ApplyConfig> split(Commands.ApplyConfig config, int groups) {
    List<List<Commands.OrgSetup>> parts = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      parts.add(new ArrayList<>());
    }
    for (Commands.OrgSetup org : config.orgs()) {
      parts.get(group(org.org().orgId(), groups)).add(org);
    }
    return parts.stream().map(Commands.ApplyConfig::new).toList();
  }

  /**
   * A page of orgs in org_id order after {@code afterOrgId}, across every group: each group's
   * page of the same size, merged. The next page starts after the last org of this one, in
   * whichever group that is, so page tokens work as with one group. Answered once every group has
   * (or the first failure); false if some loop is saturated, and then {@code reply} is never
   * called.
   */
  public boolean listOrgs(String afterOrgId, int pageSize, Reply<? super Results.AdminResult> reply) {
    if (loops.size() == 1) {
      return loops.get(0).read((engine, now) -> engine.listOrgs(afterOrgId, pageSize), reply);
    }
    return readEach((engine, now) -> (Results.OrgPage) engine.listOrgs(afterOrgId, pageSize),
        new Reply<List<Results.OrgPage>>() {
          @Override
          public void ok(List<Results.OrgPage> pages) {
            reply.ok(merge(pages, pageSize));
          }

          @Override
          public void failed(Throwable error) {
            reply.failed(error);
          }
        });
  }

  /** The first {@code pageSize} orgs of pages each in org_id order, and whether more follow. */
  static Results.OrgPage merge(List<Results.OrgPage> pages, int pageSize) {
    List<OrgConfig> all = new ArrayList<>();
    boolean more = false;
    for (Results.OrgPage p : pages) {
      all.addAll(p.orgs());
      more |= !p.nextPageToken().isEmpty();
    }
    all.sort((a, b) -> a.orgId().compareTo(b.orgId()));
    if (all.size() > pageSize) {
      more = true;
      all = all.subList(0, pageSize);
    }
    // Exact: each of the first pageSize orgs overall is among its own group's first pageSize.
    return new Results.OrgPage(List.copyOf(all), more && !all.isEmpty() ? all.get(all.size() - 1).orgId() : "");
  }

  /**
   * Runs {@code query} in every group's loop (each waits for its own log's read index in a
   * cluster) and answers with their results, group 0 first, once all have; the first failure
   * instead. False if some loop is saturated; {@code reply} is then never called (the groups that
   * took the query answer into nothing: a read changes nothing).
   */
  public <R> boolean readEach(EventLoop.Query<R> query, Reply<? super List<R>> reply) {
    int n = loops.size();
    List<R> results = new ArrayList<>(Collections.nCopies(n, null));
    AtomicInteger waiting = new AtomicInteger(n);
    AtomicBoolean settled = new AtomicBoolean();
    AtomicBoolean refused = new AtomicBoolean();
    for (int g = 0; g < n; g++) {
      int at = g;
      boolean queued = loops.get(g).read(query, new Reply<R>() {
        @Override
        public void ok(R result) {
          synchronized (results) {
            results.set(at, result);
          }
          if (waiting.decrementAndGet() == 0 && !refused.get() && settled.compareAndSet(false, true)) {
            List<R> done;
            synchronized (results) {
              done = new ArrayList<>(results);
            }
            reply.ok(done);
          }
        }

        @Override
        public void failed(Throwable error) {
          if (!refused.get() && settled.compareAndSet(false, true)) {
            reply.failed(error);
          }
        }
      });
      if (!queued) {
        refused.set(true);
        // False only if no reply went out: an earlier group may already have failed it.
        return !settled.compareAndSet(false, true);
      }
    }
    return true;
  }
}
