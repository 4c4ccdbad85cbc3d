package io.admission.bench.load;

/** Opens the target a command names. */
final class Targets {
  private Targets() {}

  /** {@code grpc} (Admission or the no-op service) or {@code redis}, at HOST:PORT. */
  static LoadTarget open(String kind, String address, String orgId, int redisLimit) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    int port = Integer.parseInt(address.substring(colon + 1));
    switch (kind) {
      case "grpc":
        return new GrpcTarget(host, port, orgId);
      case "redis":
        RedisTarget redis = new RedisTarget(host, port, orgId);
        redis.resetOrg(redisLimit);
        return redis;
      default:
        throw new IllegalArgumentException("--target must be grpc or redis, got " + kind);
    }
  }
}
