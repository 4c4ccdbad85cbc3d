package io.admission.server.config;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.admission.server.engine.Commands;
import io.admission.server.grpc.InvalidRequest;
import io.admission.server.grpc.Requests;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberOverride;
import io.admission.v1.OrgSetup;
import io.admission.v1.Reservation;
import io.admission.v1.ServerConfig;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --config} file: a {@link ServerConfig} in the proto JSON mapping, turned into the
 * same commands the admin API would send — checked by the same validation — so that config never
 * reaches the engine any other way.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /** Reads and validates the file; the message of any exception names the file and the field. */
  public static List<Commands.Command<?>> load(Path file) throws IOException {
    ServerConfig.Builder config = ServerConfig.newBuilder();
    try {
      JsonFormat.parser().merge(Files.readString(file), config);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(file + ": not a valid ServerConfig in JSON: " + e.getMessage(), e);
    }
    List<Commands.Command<?>> commands = new ArrayList<>();
    for (int i = 0; i < config.getOrgsCount(); i++) {
      String at = "orgs[" + i + "]";
      try {
        commands.addAll(commandsFor(config.getOrgs(i), at));
      } catch (InvalidRequest e) {
        throw new IOException(file + ": " + e.describe(), e);
      }
    }
    return commands;
  }

  private static List<Commands.Command<?>> commandsFor(OrgSetup setup, String at)
      throws InvalidRequest {
    List<Commands.Command<?>> out = new ArrayList<>();
    Commands.PutOrg put = Requests.putOrg(setup.getOrg(), at + ".org");
    out.add(put);
    String orgId = put.org().orgId();
    for (Reservation r : setup.getReservationsList()) {
      out.add(Requests.setReservation(SetReservationRequest.newBuilder()
          .setOrgId(orgId).setAgentId(r.getAgentId()).setCallType(r.getCallType())
          .setSlots(r.getSlots()).build(), orgId));
    }
    for (LoginOverride l : setup.getLoginLimitsList()) {
      out.add(Requests.setLoginLimits(SetLoginLimitsRequest.newBuilder()
          .setOrgId(orgId).setLoginId(l.getLoginId()).setLimits(l.getLimits()).build()));
    }
    for (NumberOverride n : setup.getNumberLimitsList()) {
      out.add(Requests.setNumberLimits(SetNumberLimitsRequest.newBuilder()
          .setOrgId(orgId).setNumber(n.getNumber()).setLimits(n.getLimits()).build()));
    }
    return out;
  }
}
