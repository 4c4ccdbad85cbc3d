package io.admission.server.grpc;

import io.admission.server.api.Requests;
import io.admission.server.api.Responses;
import io.admission.server.api.InvalidRequest;
import io.admission.server.engine.Results;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.DeleteOrgResponse;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.ListOrgsResponse;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberOverride;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.PutOrgResponse;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RemoveAgentResponse;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetLoginLimitsResponse;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetNumberLimitsResponse;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.SetReservationResponse;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.UpdateOrgResponse;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** AdmissionAdminService: orgs, reservations and limits. Every change goes through the loop. */
public final class AdminGrpcService extends AdmissionAdminServiceGrpc.AdmissionAdminServiceImplBase {
  private static final int DEFAULT_PAGE = 100;
  private static final int MAX_PAGE = 1000;
  private final Loops loops;

  public AdminGrpcService(EventLoop loop) {
    this(Loops.of(loop));
  }

  /** Each org's requests go to its group's loop; ListOrgs merges every group's. */
  public AdminGrpcService(Loops loops) {
    this.loops = loops;
  }

  @Override
  public void putOrg(PutOrgRequest request, StreamObserver<PutOrgResponse> observer) {
    if (!request.hasOrg()) {
      observer.onError(StatusMapper.invalid("org", "is required"));
      return;
    }
    Answers.command(loops, () -> Requests.putOrg(request.getOrg(), "org"), observer, result -> {
      Results.OrgView v = (Results.OrgView) result;
      return PutOrgResponse.newBuilder()
          .setOrg(Responses.org(v.config())).setCreated(v.created()).build();
    });
  }

  /** The mask is merged onto the stored org in the loop, at apply time: no read-then-write here. */
  @Override
  public void updateOrg(UpdateOrgRequest request, StreamObserver<UpdateOrgResponse> observer) {
    Answers.command(loops, () -> Requests.updateOrg(request), observer, result ->
        UpdateOrgResponse.newBuilder()
            .setOrg(Responses.org(((Results.OrgUpdated) result).after())).build());
  }

  @Override
  public void deleteOrg(DeleteOrgRequest request, StreamObserver<DeleteOrgResponse> observer) {
    Answers.command(loops, () -> Requests.deleteOrg(request.getOrgId()), observer, result ->
        DeleteOrgResponse.newBuilder().setDeleted(((Results.OrgDeleted) result).existed()).build());
  }

  @Override
  public void getOrg(GetOrgRequest request, StreamObserver<GetOrgResponse> observer) {
    try {
      String orgId = Requests.id("org_id", request.getOrgId());
      Answers.read(loops.of(orgId), (engine, now) -> engine.getOrg(orgId), observer, result -> {
        Results.OrgView v = (Results.OrgView) result;
        GetOrgResponse.Builder b = GetOrgResponse.newBuilder().setOrg(Responses.org(v.config()));
        v.reservations().forEach(r -> b.addReservations(Responses.reservation(r)));
        v.loginOverrides().forEach(o -> b.addLoginLimits(LoginOverride.newBuilder()
            .setLoginId(o.loginId()).setLimits(Responses.loginLimits(o.limits()))));
        v.numberOverrides().forEach(o -> b.addNumberLimits(NumberOverride.newBuilder()
            .setNumber(o.number()).setLimits(Responses.numberLimits(o.limits()))));
        return b.build();
      });
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
    }
  }

  @Override
  public void listOrgs(ListOrgsRequest request, StreamObserver<ListOrgsResponse> observer) {
    int size = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
    if (size < 0 || size > MAX_PAGE) {
      observer.onError(StatusMapper.invalid("page_size", "must be at most " + MAX_PAGE));
      return;
    }
    String after;
    try {
      after = new String(Base64.getUrlDecoder().decode(request.getPageToken()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      observer.onError(StatusMapper.invalid("page_token", "is not a token from a ListOrgs response"));
      return;
    }
    Answers.listOrgs(loops, after, size, observer, result -> {
      Results.OrgPage page = (Results.OrgPage) result;
      ListOrgsResponse.Builder b = ListOrgsResponse.newBuilder();
      page.orgs().forEach(o -> b.addOrgs(Responses.org(o)));
      if (!page.nextPageToken().isEmpty()) {
        b.setNextPageToken(Base64.getUrlEncoder().withoutPadding()
            .encodeToString(page.nextPageToken().getBytes(StandardCharsets.UTF_8)));
      }
      return b.build();
    });
  }

  @Override
  public void setReservation(SetReservationRequest request, StreamObserver<SetReservationResponse> observer) {
    Answers.command(loops, () -> Requests.setReservation(request), observer, result -> {
      Results.ReservationChanged c = (Results.ReservationChanged) result;
      return SetReservationResponse.newBuilder()
          .setReservation(Responses.reservation(c.reservation()))
          .setReservedTotal(c.reservedTotal())
          .setSharedCapacity(c.sharedCapacity())
          .build();
    });
  }

  @Override
  public void removeAgent(RemoveAgentRequest request, StreamObserver<RemoveAgentResponse> observer) {
    Answers.command(loops, () -> Requests.removeAgent(request.getOrgId(), request.getAgentId()), observer,
        result -> {
          Results.AgentRemoved r = (Results.AgentRemoved) result;
          return RemoveAgentResponse.newBuilder()
              .setFreedSlots(r.freedSlots()).setSharedCapacity(r.sharedCapacity()).build();
        });
  }

  @Override
  public void setLoginLimits(SetLoginLimitsRequest request, StreamObserver<SetLoginLimitsResponse> observer) {
    Answers.command(loops, () -> Requests.setLoginLimits(request), observer, result -> {
      Results.LoginLimitsChanged c = (Results.LoginLimitsChanged) result;
      return SetLoginLimitsResponse.newBuilder()
          .setLimits(Responses.loginLimits(c.stored()))
          .setEffective(Responses.loginLimits(c.effective()))
          .build();
    });
  }

  @Override
  public void setNumberLimits(SetNumberLimitsRequest request, StreamObserver<SetNumberLimitsResponse> observer) {
    Answers.command(loops, () -> Requests.setNumberLimits(request), observer, result -> {
      Results.NumberLimitsChanged c = (Results.NumberLimitsChanged) result;
      return SetNumberLimitsResponse.newBuilder()
          .setLimits(Responses.numberLimits(c.stored()))
          .setEffective(Responses.numberLimits(c.effective()))
          .build();
    });
  }
}
