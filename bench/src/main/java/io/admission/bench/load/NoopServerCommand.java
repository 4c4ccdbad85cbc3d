package io.admission.bench.load;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.SlotKind;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Serves {@link NoopAdmissionService} with Admission's server settings (Netty, directExecutor). */
@Command(name = "noop-server", mixinStandardHelpOptions = true,
    description = "Serve a no-op AdmissionService (the gRPC ceiling) on a free loopback port until killed.")
public final class NoopServerCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    // As Main builds Admission's server: the handler answers inline, so directExecutor.
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new NoopAdmissionService()).directExecutor().build().start();
    System.out.println("noop: listening on 127.0.0.1:" + server.getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "noop-shutdown"));
    server.awaitTermination();
    return 0;
  }

  /**
   * The gRPC ceiling: AdmissionService answered inline on the transport thread, deciding nothing. Every Acquire is
   * granted the lease Admission would send (same fields, same message sizes); every Release answers RELEASED.
   */
  static final class NoopAdmissionService extends AdmissionServiceGrpc.AdmissionServiceImplBase {
    @Override
    public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> observer) {
      long now = System.currentTimeMillis();
      long ttl = request.hasLeaseTtl() ? request.getLeaseTtl().getSeconds() * 1000 : 3_600_000L;
      Lease lease = Lease.newBuilder().setOrgId(request.getOrgId()).setCallId(request.getCallId())
          .setAgentId(request.getAgentId()).setCallType(request.getCallType()).setLoginId(request.getLoginId())
          .setFromNumber(request.getFromNumber()).setSlotKind(SlotKind.SLOT_KIND_SHARED)
          .setGrantedAt(Timestamps.fromMillis(now)).setExpiresAt(Timestamps.fromMillis(now + ttl))
          .setTtl(Durations.fromSeconds(ttl / 1000)).build();
      observer.onNext(AcquireResponse.newBuilder()
          .setOutcome(Outcome.OUTCOME_GRANTED).setLease(lease).setRetry(false).build());
      observer.onCompleted();
    }

    @Override
    public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> observer) {
      observer.onNext(ReleaseResponse.newBuilder().setEffect(ReleaseEffect.RELEASE_EFFECT_RELEASED).build());
      observer.onCompleted();
    }
  }
}
