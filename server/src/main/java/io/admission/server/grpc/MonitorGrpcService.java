package io.admission.server.grpc;

import io.admission.server.engine.StatusView;
import io.admission.server.loop.EventLoop;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.GetOrgStatusResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/** AdmissionMonitorService: the live status dashboards read. */
public final class MonitorGrpcService extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
  private final EventLoop loop;
  /** Converts and writes WatchOrg statuses, so that neither the loop nor gRPC threads do. */
  private final Executor watchSender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "admission-watch");
    t.setDaemon(true);
    return t;
  });

  public MonitorGrpcService(EventLoop loop) {
    this.loop = loop;
  }

  @Override
  public void watchOrg(WatchOrgRequest request, StreamObserver<WatchOrgResponse> observer) {
    String orgId;
    try {
      orgId = Requests.id("org_id", request.getOrgId());
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
      return;
    }
    var serverObserver = (ServerCallStreamObserver<WatchOrgResponse>) observer;
    WatchOrgStream stream = new WatchOrgStream(serverObserver, watchSender);
    serverObserver.setOnCancelHandler(() -> loop.unwatchOrg(orgId, stream));
    if (!loop.watchOrg(orgId, stream)) {
      observer.onError(StatusMapper.busy());
    }
  }

  @Override
  public void getOrgStatus(GetOrgStatusRequest request, StreamObserver<GetOrgStatusResponse> observer) {
    try {
      String orgId = Requests.id("org_id", request.getOrgId());
      Answers.read(loop, (engine, now) -> engine.status(orgId, now), observer,
          result -> GetOrgStatusResponse.newBuilder()
              .setStatus(Responses.status((StatusView.Org) result)).build());
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
    }
  }
}
