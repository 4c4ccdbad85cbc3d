package io.admission.server.grpc;

import io.admission.server.engine.StatusView;
import io.admission.server.loop.EventLoop;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.GetOrgStatusResponse;
import io.grpc.stub.StreamObserver;

/** AdmissionMonitorService: the live status dashboards read. */
public final class MonitorGrpcService extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
  private final EventLoop loop;

  public MonitorGrpcService(EventLoop loop) {
    this.loop = loop;
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
