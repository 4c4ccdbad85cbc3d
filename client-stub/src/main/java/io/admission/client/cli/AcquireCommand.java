package io.admission.client.cli;

import io.admission.client.AcquireListener;
import io.admission.client.AdmissionCancelledException;
import io.admission.client.AdmissionClient;
import io.admission.client.AdmissionDeniedException;
import io.admission.client.AdmissionWaitExpiredException;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.CallType;
import io.admission.v1.Hold;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.WaitForSlotResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code acquire}: prints the AcquireResponse; with {@code --wait} and a held call, then prints
 * each WaitForSlot event ({@code held} updates, then {@code dispatched}, {@code denied},
 * {@code expired} or {@code cancelled}). The stream is reopened if it breaks. A lease obtained
 * here is not renewed once the command ends: release it, or it expires after its TTL.
 */
@Command(name = "acquire", description = "Asks for a slot for one call; with --wait, waits "
    + "while it is held. Prints the answer, then each wait event.")
final class AcquireCommand implements Callable<Integer> {
  @ParentCommand
  private AdmissionCli cli;

  @Option(names = "--org", paramLabel = "ORG", required = true)
  private String orgId;

  @Option(names = "--call", paramLabel = "CALL", required = true,
      description = "The call's id, unique in the org.")
  private String callId;

  @Option(names = "--agent", paramLabel = "AGENT",
      description = "The agent whose reservations apply.")
  private String agentId;

  @Option(names = "--type", paramLabel = "TYPE", required = true,
      converter = CallTypeConverter.class, description = "webcall, chat, outbound or inbound.")
  private CallType callType;

  @Option(names = "--login", paramLabel = "LOGIN",
      description = "The login (seat) placing the call.")
  private String loginId;

  @Option(names = "--from-number", paramLabel = "NUMBER", description = "The caller-ID number.")
  private String fromNumber;

  @Option(names = "--lease-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Lease TTL, e.g. 30s (default: the org's).")
  private Duration leaseTtl;

  @Option(names = "--max-wait", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long the call may stay held (default: until dispatched or released).")
  private Duration maxWait;

  @Option(names = "--wait",
      description = "If held, wait for the dispatch, printing each held update.")
  private boolean await;

  @Override
  public Integer call() throws InterruptedException {
    AcquireResponse response = cli.admission().acquire(request());
    cli.print(response);
    if (response.getOutcome() == Outcome.OUTCOME_DENIED) {
      return AdmissionCli.NOT_ADMITTED;
    }
    if (response.getOutcome() == Outcome.OUTCOME_HELD && await) {
      return awaitDispatch(response.getHold());
    }
    return 0;
  }

  private AcquireRequest request() {
    AcquireRequest.Builder request = AcquireRequest.newBuilder()
        .setOrgId(orgId)
        .setCallId(callId)
        .setCallType(callType);
    if (agentId != null) {
      request.setAgentId(agentId);
    }
    if (loginId != null) {
      request.setLoginId(loginId);
    }
    if (fromNumber != null) {
      request.setFromNumber(fromNumber);
    }
    if (leaseTtl != null) {
      request.setLeaseTtl(DurationConverter.toProto(leaseTtl));
    }
    if (maxWait != null) {
      request.setMaxWait(DurationConverter.toProto(maxWait));
    }
    return request.build();
  }

  private int awaitDispatch(Hold firstHold) throws InterruptedException {
    AcquireListener printHolds = new AcquireListener() {
      private Hold last = firstHold; // the stream starts by repeating the current hold

      @Override
      public void onHeld(Hold hold) {
        if (!hold.equals(last)) {
          last = hold;
          cli.print(WaitForSlotResponse.newBuilder().setHeld(hold).build());
        }
      }
    };
    try (AdmissionClient client = new AdmissionClient(cli.channel())) {
      Lease lease = client.awaitDispatch(orgId, callId, printHolds).get();
      return cli.print(WaitForSlotResponse.newBuilder().setDispatched(lease).build());
    } catch (ExecutionException e) {
      return printEnd(e.getCause());
    }
  }

  private int printEnd(Throwable cause) {
    WaitForSlotResponse.Builder event = WaitForSlotResponse.newBuilder();
    if (cause instanceof AdmissionDeniedException denied) {
      event.setDenied(denied.denial());
    } else if (cause instanceof AdmissionWaitExpiredException expired) {
      event.setExpired(expired.expiry());
    } else if (cause instanceof AdmissionCancelledException cancelled) {
      event.setCancelled(cancelled.cancellation());
    } else if (cause instanceof RuntimeException unexpected) {
      throw unexpected; // a StatusRuntimeException is printed by the error handler
    } else {
      throw new IllegalStateException(cause);
    }
    cli.print(event.build());
    return AdmissionCli.NOT_ADMITTED;
  }
}
