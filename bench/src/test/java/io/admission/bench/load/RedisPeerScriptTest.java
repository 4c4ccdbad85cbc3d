package io.admission.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.File;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The peer's script keeps Admission's accounting: reserved slots first, then shared, a shared slot
 * freed first, other agents' reservations never used. Needs a local redis-server, so it is tagged
 * {@code bench} and stays out of `make test`.
 */
@Tag("bench")
class RedisPeerScriptTest {
  private static final String[] KEYS = {"pool:t:state", "pool:t:calls", "pool:t:leases"};
  private static Process server;
  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;
  private static String sha;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(new File("/usr/bin/redis-server").canExecute(), "redis-server is not installed");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    client = RedisClient.create("redis://127.0.0.1:" + port);
    for (int i = 0; ; i++) {
      try {
        connection = client.connect();
        break;
      } catch (RuntimeException e) {
        if (i == 50) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
    redis = connection.sync();
    sha = redis.scriptLoad(RedisTarget.script());
  }

  @AfterAll
  static void stop() throws Exception {
    if (connection != null) {
      connection.close();
      client.shutdown();
    }
    if (server != null) {
      server.destroy();
      server.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void reservedFirstThenSharedAndSharedFreedFirst() {
    redis.del(KEYS);
    // limit 3: agent a reserves 1 outbound; 2 shared.
    redis.hset(KEYS[0], java.util.Map.of("limit", "3", "reserved_total", "1", "shared_in_use", "0", "res:a|OUTBOUND", "1"));
    assertEquals(1L, acquire("a1", "a"));  // a's reserved slot
    assertEquals(1L, acquire("b1", "b"));  // shared 1/2
    assertEquals(1L, acquire("a2", "a"));  // shared 2/2
    assertEquals(0L, acquire("b2", "b"));  // full: b may not use a's reservation
    assertEquals(0L, acquire("a3", "a"));
    assertEquals(1L, acquire("a1", "a"));  // a retry of a granted call is granted, not counted again
    assertEquals("2", redis.hget(KEYS[0], "shared_in_use"));
    assertEquals(1L, release("a1"));       // a ran 2 with 1 reserved: a shared slot frees first
    assertEquals("1", redis.hget(KEYS[0], "shared_in_use"));
    assertEquals(1L, acquire("b2", "b"));
    assertEquals(0L, release("never"));
  }

  @Test
  void expiredLeasesAreFreedByTheNextAcquire() {
    redis.del(KEYS);
    redis.hset(KEYS[0], java.util.Map.of("limit", "1", "reserved_total", "0", "shared_in_use", "0"));
    long now = System.currentTimeMillis();
    assertEquals(1L, (Long) redis.evalsha(sha, ScriptOutputType.INTEGER, KEYS, "acquire", "old", "", "OUTBOUND", Long.toString(now), "1000"));
    assertEquals(0L, (Long) redis.evalsha(sha, ScriptOutputType.INTEGER, KEYS, "acquire", "new", "", "OUTBOUND", Long.toString(now + 500), "1000"));
    assertEquals(1L, (Long) redis.evalsha(sha, ScriptOutputType.INTEGER, KEYS, "acquire", "new", "", "OUTBOUND", Long.toString(now + 1000), "1000"));
  }

  private static long acquire(String callId, String agent) {
    return redis.evalsha(sha, ScriptOutputType.INTEGER, KEYS, "acquire", callId, agent, "OUTBOUND",
        Long.toString(System.currentTimeMillis()), "3600000");
  }

  private static long release(String callId) {
    return redis.evalsha(sha, ScriptOutputType.INTEGER, KEYS, "release", callId);
  }
}
