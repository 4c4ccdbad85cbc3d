package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.assertInvalid;
import static io.admission.server.grpc.GrpcFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Timestamps;
import io.admission.v1.AcquireResponse;
import io.admission.v1.CallType;
import io.admission.v1.CallingHours;
import io.admission.v1.CallingWindow;
import io.admission.v1.DenialReason;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.Weekday;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Calling hours over gRPC: PutOrg, UpdateOrg's `calling_hours` path, GetOrgStatus, Acquire. */
class CallingHoursGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private static CallingHours.Builder weekdays(String start, String end) {
    CallingHours.Builder h = CallingHours.newBuilder();
    for (int d = Weekday.WEEKDAY_MONDAY_VALUE; d <= Weekday.WEEKDAY_FRIDAY_VALUE; d++) {
      h.addWindows(CallingWindow.newBuilder().setWeekdayValue(d).setStart(start).setEnd(end));
    }
    return h;
  }

  private static Org.Builder acme(CallingHours.Builder hours) {
    return Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setTimeZone("Europe/Paris")
        .setCallingHours(hours);
  }

  private static long millis(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Test
  void outboundCallsAfterHoursAreDeniedAndTheStatusSaysWhenItOpens() {
    // T0 is Tuesday 3 March 2026, 15:07 in Paris: open until 20:00 (19:00 UTC).
    f.putOrg(acme(weekdays("09:00", "20:00")).build());
    OrgStatus open = f.status("acme");
    assertTrue(open.getCallingHours().getOpen());
    assertEquals(millis("2026-03-03T19:00:00Z"), Timestamps.toMillis(open.getCallingHours().getChangesAt()));
    assertEquals(java.util.List.of(CallType.CALL_TYPE_OUTBOUND),
        open.getCallingHours().getRestrictedCallTypesList());
    assertEquals(Outcome.OUTCOME_GRANTED,
        f.acquire(call("acme", "day").setCallType(CallType.CALL_TYPE_OUTBOUND)).getOutcome());

    f.at(millis("2026-03-03T19:30:00Z") - T0);
    AcquireResponse night = f.acquire(call("acme", "night").setCallType(CallType.CALL_TYPE_OUTBOUND));
    assertEquals(Outcome.OUTCOME_DENIED, night.getOutcome());
    assertEquals(DenialReason.DENIAL_REASON_CALLING_HOURS, night.getDenial().getReason());
    assertEquals(millis("2026-03-04T08:00:00Z"), Timestamps.toMillis(night.getDenial().getRetryAt()));
    assertEquals("denied: org acme takes outbound calls only between 09:00 and 20:00"
        + " (Europe/Paris) on weekdays; it opens again at 2026-03-04 08:00:00 UTC",
        night.getDenial().getMessage());
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire(call("acme", "web")).getOutcome(),
        "web calls are not restricted by default");
    OrgStatus closed = f.status("acme");
    assertFalse(closed.getCallingHours().getOpen());
    assertEquals(millis("2026-03-04T08:00:00Z"), Timestamps.toMillis(closed.getCallingHours().getChangesAt()));

    assertEquals(weekdays("09:00", "20:00").addRestrictedCallTypes(CallType.CALL_TYPE_OUTBOUND).build(),
        f.getOrg("acme").getOrg().getCallingHours(), "read back with the default type named");
  }

  @Test
  void updateOrgSetsAndRemovesCallingHoursByTheirPath() {
    f.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setTimeZone("Europe/Paris").build());
    assertFalse(f.status("acme").hasCallingHours());
    f.await(f.admin.updateOrg(UpdateOrgRequest.newBuilder()
        .setOrg(acme(weekdays("16:00", "17:00").addRestrictedCallTypes(CallType.CALL_TYPE_WEBCALL)))
        .setUpdateMask(FieldMask.newBuilder().addPaths("calling_hours")).build()));
    assertEquals(5, f.getOrg("acme").getOrg().getConcurrencyLimit(), "the rest is kept");
    AcquireResponse web = f.acquire(call("acme", "web"));
    assertEquals(DenialReason.DENIAL_REASON_CALLING_HOURS, web.getDenial().getReason());
    assertEquals(Outcome.OUTCOME_GRANTED,
        f.acquire(call("acme", "out").setCallType(CallType.CALL_TYPE_OUTBOUND)).getOutcome());

    f.await(f.admin.updateOrg(UpdateOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme"))
        .setUpdateMask(FieldMask.newBuilder().addPaths("calling_hours")).build()));
    assertFalse(f.getOrg("acme").getOrg().hasCallingHours());
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire(call("acme", "web2")).getOutcome());
  }

  @ParameterizedTest
  @CsvSource({
      "20:00, 09:00, org.calling_hours.windows[0].end",
      "09:00, 09:00, org.calling_hours.windows[0].end",
      "9:00, 20:00, org.calling_hours.windows[0].start",
      "24:00, 24:00, org.calling_hours.windows[0].start",
      "09:00, 24:01, org.calling_hours.windows[0].end",
      "09:60, 20:00, org.calling_hours.windows[0].start"})
  void badWindowsNameTheField(String start, String end, String field) {
    var e = f.awaitError(f.admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(acme(weekdays(start, end))).build()));
    assertInvalid(e, field);
  }

  @Test
  void aWindowNeedsItsWeekdayAndCallingHoursNeedAWindow() {
    assertInvalid(f.awaitError(f.admin.putOrg(PutOrgRequest.newBuilder().setOrg(acme(
        CallingHours.newBuilder().addWindows(CallingWindow.newBuilder().setStart("09:00")
            .setEnd("10:00")))).build())), "org.calling_hours.windows[0].weekday");
    assertInvalid(f.awaitError(f.admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(acme(CallingHours.newBuilder())).build())), "org.calling_hours.windows");
  }
}
