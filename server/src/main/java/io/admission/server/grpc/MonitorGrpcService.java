package io.admission.server.grpc;

import io.admission.server.api.ClusterView;
import io.admission.server.api.Requests;
import io.admission.server.api.Responses;
import io.admission.server.api.InvalidRequest;
import io.admission.server.audit.AuditReader;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.admission.server.engine.StatusView;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.GetOrgStatusResponse;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListEventsResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** AdmissionMonitorService: the live status dashboards read, and the audit log (ListEvents). */
public final class MonitorGrpcService extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
  private final Loops loops;
  /** Converts and writes WatchOrg statuses, so that neither the loop nor gRPC threads do. */
  private final Executor watchSender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "admission-watch");
    t.setDaemon(true);
    return t;
  });

  /** Null when the server keeps no audit log: ListEvents is then UNIMPLEMENTED. */
  private final AuditReader audit;
  private final ClusterView cluster;
  /**
   * Reads the audit log for ListEvents: it may touch the disk, so neither the loop nor gRPC's
   * transport threads do it. Two threads and a short queue; past that, RESOURCE_EXHAUSTED.
   */
  private final ThreadPoolExecutor auditReaders = new ThreadPoolExecutor(
      2, 2, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(64), r -> {
        Thread t = new Thread(r, "admission-audit-read");
        t.setDaemon(true);
        return t;
      });

  public MonitorGrpcService(EventLoop loop) {
    this(loop, null);
  }

  public MonitorGrpcService(EventLoop loop, AuditReader audit) {
    this(loop, audit, ClusterView.alone("local", "in-process"));
  }

  public MonitorGrpcService(EventLoop loop, AuditReader audit, ClusterView cluster) {
    this(Loops.of(loop), audit, cluster);
  }

  /** Each org's reads and streams go to its group's loop. */
  public MonitorGrpcService(Loops loops, AuditReader audit, ClusterView cluster) {
    this.loops = loops;
    this.audit = audit;
    this.cluster = cluster;
  }

  @Override
  public void getClusterStatus(GetClusterStatusRequest request,
      StreamObserver<GetClusterStatusResponse> response) {
    response.onNext(cluster.status());
    response.onCompleted();
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
    EventLoop loop = loops.of(orgId);
    serverObserver.setOnCancelHandler(() -> loop.unwatchOrg(orgId, stream));
    if (!loop.watchOrg(orgId, stream)) {
      observer.onError(StatusMapper.busy());
    }
  }

  @Override
  public void getOrgStatus(GetOrgStatusRequest request, StreamObserver<GetOrgStatusResponse> observer) {
    try {
      String orgId = Requests.id("org_id", request.getOrgId());
      Answers.read(loops.of(orgId), (engine, now) -> engine.status(orgId, now), observer,
          result -> GetOrgStatusResponse.newBuilder()
              .setStatus(Responses.status((StatusView.Org) result)).build());
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
    }
  }

  static final int DEFAULT_EVENTS_PAGE = 100;
  static final int MAX_EVENTS_PAGE = 1000;

  @Override
  public void listEvents(ListEventsRequest request, StreamObserver<ListEventsResponse> observer) {
    if (audit == null) {
      observer.onError(StatusMapper.noAuditLog());
      return;
    }
    AuditReader.Query query;
    try {
      query = eventsQuery(request);
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
      return;
    }
    try {
      auditReaders.execute(() -> {
        ListEventsResponse page;
        try {
          page = audit.list(query);
        } catch (InvalidRequest e) {
          observer.onError(StatusMapper.invalid(e));
          return;
        } catch (IOException e) {
          observer.onError(StatusMapper.auditUnreadable(e));
          return;
        } catch (RuntimeException e) {
          observer.onError(StatusMapper.failed(e));
          return;
        }
        observer.onNext(page);
        observer.onCompleted();
      });
    } catch (RejectedExecutionException e) {
      observer.onError(StatusMapper.busy());
    }
  }

  private static AuditReader.Query eventsQuery(ListEventsRequest r) throws InvalidRequest {
    String orgId = Requests.id("org_id", r.getOrgId());
    long start = r.hasStartTime() ? millis("start_time", r.getStartTime()) : Long.MIN_VALUE;
    long end = r.hasEndTime() ? millis("end_time", r.getEndTime()) : Long.MAX_VALUE;
    if (end <= start) {
      throw new InvalidRequest("end_time", "must be after start_time");
    }
    if (r.getPageSize() < 0 || r.getPageSize() > MAX_EVENTS_PAGE) { // uint32: large reads as < 0
      throw new InvalidRequest("page_size", "must be at most " + MAX_EVENTS_PAGE);
    }
    int size = r.getPageSize() == 0 ? DEFAULT_EVENTS_PAGE : r.getPageSize();
    return new AuditReader.Query(orgId, start, end, size, r.getPageToken());
  }

  private static long millis(String field, Timestamp t) throws InvalidRequest {
    if (!Timestamps.isValid(t)) {
      throw new InvalidRequest(field, "is not a valid timestamp");
    }
    return Timestamps.toMillis(t);
  }
}
