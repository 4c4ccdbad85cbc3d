package io.admission.bench.load;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Transports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The peer: {@code org-pool.lua}'s org pool in Redis, called with EVALSHA from Lettuce on one connection (which
 * pipelines concurrent commands), answered on Lettuce's one I/O thread, which callers may send from as well.
 * A full pool answers {@link Outcome#FULL}; callers poll.
 */
public final class RedisTarget implements LoadTarget {
  private static final String CALL_TYPE = "OUTBOUND";
  private static final String TTL_MILLIS = "3600000";

  private final ClientResources resources = ClientResources.builder().ioThreadPoolSize(1).build();
  /** Lettuce's one I/O thread (ioThreadPoolSize(1)): the group's only loop is the connection's. */
  private final Executor ioThread = resources.eventLoopGroupProvider().allocate(Transports.eventLoopGroupClass()).next();
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final String sha;
  private final String[] keys;

  /** {@code address}: HOST:PORT; the org starts afresh: no calls, {@code limit} slots, no reservations. */
  public RedisTarget(String address, String orgId, int limit) {
    this.client = RedisClient.create(resources, "redis://" + address + "?timeout=10s");
    this.connection = client.connect();
    this.sha = connection.sync().scriptLoad(script());
    this.keys = new String[] {"pool:" + orgId + ":state", "pool:" + orgId + ":calls", "pool:" + orgId + ":leases"};
    connection.sync().del(keys);
    connection.sync().hset(keys[0], Map.of("limit", Integer.toString(limit), "reserved_total", "0", "shared_in_use", "0"));
  }

  @Override
  public void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed) {
    evalsha(granted -> done.accept(granted == 1L ? Outcome.GRANTED : Outcome.FULL), failed, "acquire", callId, "",
        CALL_TYPE, Long.toString(System.currentTimeMillis()), TTL_MILLIS);
  }

  @Override
  public void release(String callId, Runnable done, Consumer<Throwable> failed) {
    evalsha(released -> done.run(), failed, "release", callId);
  }

  /** The script with {@code args}: its answer to {@code done}, or its error to {@code failed}. */
  private void evalsha(Consumer<Long> done, Consumer<Throwable> failed, String... args) {
    connection.async().<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, args).whenComplete((n, error) -> {
      if (error != null) {
        failed.accept(error);
      } else {
        done.accept(n);
      }
    });
  }

  static String script() {
    try (var in = RedisTarget.class.getResourceAsStream("org-pool.lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Executor ioThread() {
    return ioThread;
  }

  @Override
  public void close() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
