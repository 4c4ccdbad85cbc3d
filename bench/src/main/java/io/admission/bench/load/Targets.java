package io.admission.bench.load;

/** Opens the target a command names. */
final class Targets {
  private Targets() {}

  /** {@link #open(String, String, String, int, int)} with one Session stream. */
  static LoadTarget open(String kind, String address, String orgId, int redisLimit) {
    return open(kind, address, orgId, redisLimit, 1);
  }

  /**
   * {@code grpc} (Admission or the no-op service, unary calls), {@code session} (Admission, all
   * callers on {@code sessions} Session streams) or {@code redis}, at HOST:PORT.
   */
  static LoadTarget open(String kind, String address, String orgId, int redisLimit, int sessions) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    int port = Integer.parseInt(address.substring(colon + 1));
    switch (kind) {
      case "grpc":
        return new GrpcTarget(host, port, orgId);
      case "session":
        return new GrpcSessionTarget(host, port, orgId, sessions);
      case "redis":
        RedisTarget redis = new RedisTarget(host, port, orgId);
        redis.resetOrg(redisLimit);
        return redis;
      default:
        throw new IllegalArgumentException("--target must be grpc, session or redis, got " + kind);
    }
  }
}
