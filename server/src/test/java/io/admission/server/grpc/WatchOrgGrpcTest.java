package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.OrgStatus;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WatchOrg: the status first, then on every change — coalesced to one status per 100 ms per org
 * however many changes happen, always ending on the latest state.
 */
class WatchOrgGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  /** Records what a WatchOrg stream receives. */
  private static final class Recorder implements StreamObserver<WatchOrgResponse> {
    final List<OrgStatus> statuses = new CopyOnWriteArrayList<>();
    volatile Throwable error;

    @Override
    public void onNext(WatchOrgResponse value) {
      statuses.add(value.getStatus());
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {}
  }

  private Recorder watch(String orgId) {
    Recorder r = new Recorder();
    AdmissionMonitorServiceGrpc.newStub(f.channel)
        .watchOrg(WatchOrgRequest.newBuilder().setOrgId(orgId).build(), r);
    return r;
  }

  @Test
  void firstStatusThenOneCoalescedStatusPerIntervalEndingOnTheLatest() {
    f.putOrg("acme", 5);
    Recorder r = watch("acme");
    f.stepUntil(() -> r.statuses.size() == 1, "the first status");
    assertEquals(0, r.statuses.get(0).getInUse());

    // Five changes within one interval: held back, then published once, as the latest state.
    for (int i = 1; i <= 5; i++) {
      f.at(10 * i);
      f.acquire(call("acme", "c-" + i));
    }
    assertEquals(1, r.statuses.size(), "nothing before the 100 ms interval has passed");
    f.at(100);
    f.stepUntil(() -> r.statuses.size() == 2, "the coalesced status");
    assertEquals(5, r.statuses.get(1).getInUse(), "the latest state, not an intermediate one");

    f.at(150);
    f.acquire(call("acme", "c-6")); // held: the pool is full
    f.at(199);
    assertEquals(2, r.statuses.size());
    f.at(200);
    f.stepUntil(() -> r.statuses.size() == 3, "the next status");
    OrgStatus last = r.statuses.get(2);
    assertEquals(1, last.getQueued());
    assertEquals(GrpcFixture.ts(GrpcFixture.T0 + 150), last.getOldestHeldSince());

    f.at(4_999);
    assertEquals(3, r.statuses.size(), "no status without a change");
    f.at(5_200);
    f.stepUntil(() -> r.statuses.size() == 4, "the periodic refresh");
    assertEquals(GrpcFixture.ts(GrpcFixture.T0 + 5_200), r.statuses.get(3).getAsOf(),
        "time alone changes a status (windows roll, waits grow): refreshed every 5 s");
  }

  @Test
  void unknownOrgEndsTheStreamWithNotFound() {
    Recorder r = watch("nope");
    f.stepUntil(() -> r.error != null, "the error");
    assertEquals(Status.Code.NOT_FOUND, Status.fromThrowable(r.error).getCode());
    assertTrue(r.statuses.isEmpty());
  }
}
