package io.admission.server.config;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.api.InvalidRequest;
import io.admission.server.api.Refusals;
import io.admission.server.api.Requests;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberOverride;
import io.admission.v1.OrgSetup;
import io.admission.v1.Reservation;
import io.admission.v1.ServerConfig;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --config} file: a {@link ServerConfig} in the proto JSON mapping, turned into one
 * {@link Commands.ApplyConfig} — every field checked by the admin API's own validation, and the
 * whole file then applied to a scratch engine, so that the rules that need state (the sum of an
 * org's reservations against its limit, an org listed twice) are checked too. Nothing here
 * touches the server: a file is known good or bad before anything starts.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /** Why a config file cannot be used: one line naming the entry ({@code orgs[1].org.time_zone: ...}). */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Reads and checks the whole file; nothing of it is applied anywhere. */
  public static Commands.ApplyConfig load(Path file) throws Invalid {
    ServerConfig config = parse(file);
    List<Commands.OrgSetup> orgs = new ArrayList<>(config.getOrgsCount());
    for (int i = 0; i < config.getOrgsCount(); i++) {
      orgs.add(setup(config.getOrgs(i), "orgs[" + i + "]"));
    }
    Commands.ApplyConfig apply = new Commands.ApplyConfig(orgs);
    // Applied to an empty engine, the file meets every rule that needs state; over a server's
    // existing state the engine checks again (Engine#configRefusal).
    if (new Engine().applyConfig(apply, 0) instanceof Rejection r) {
      throw new Invalid(r.field() + ": " + Refusals.text(r), null);
    }
    return apply;
  }

  private static ServerConfig parse(Path file) throws Invalid {
    String json;
    try {
      json = Files.readString(file);
    } catch (IOException e) {
      throw new Invalid("cannot be read: " + (e instanceof NoSuchFileException ? "no such file"
          : e instanceof AccessDeniedException ? "permission denied" : e.getMessage()), e);
    }
    ServerConfig.Builder config = ServerConfig.newBuilder();
    try {
      JsonFormat.parser().merge(json, config);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // The parser's messages can span lines (a Gson cause); the report is one.
      throw new Invalid("not a ServerConfig in JSON: "
          + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " "), e);
    }
    return config.build();
  }

  private static Commands.OrgSetup setup(OrgSetup setup, String at) throws Invalid {
    Commands.PutOrg put;
    try {
      put = Requests.putOrg(setup.getOrg(), at + ".org");
    } catch (InvalidRequest e) {
      throw new Invalid(e.describe(), e);
    }
    String orgId = put.org().orgId();
    List<Results.Reservation> reservations = new ArrayList<>();
    for (int j = 0; j < setup.getReservationsCount(); j++) {
      Reservation r = setup.getReservations(j);
      Commands.SetReservation s = field(at + ".reservations[" + j + "]",
          () -> Requests.setReservation(SetReservationRequest.newBuilder()
              .setAgentId(r.getAgentId()).setCallType(r.getCallType()).setSlots(r.getSlots())
              .build(), orgId));
      reservations.add(new Results.Reservation(s.agentId(), s.callType(), s.slots()));
    }
    List<Results.LoginOverride> logins = new ArrayList<>();
    for (int j = 0; j < setup.getLoginLimitsCount(); j++) {
      LoginOverride l = setup.getLoginLimits(j);
      Commands.SetLoginLimits s = field(at + ".login_limits[" + j + "]",
          () -> Requests.setLoginLimits(SetLoginLimitsRequest.newBuilder()
              .setOrgId(orgId).setLoginId(l.getLoginId()).setLimits(l.getLimits()).build()));
      logins.add(new Results.LoginOverride(s.loginId(), s.limits()));
    }
    List<Results.NumberOverride> numbers = new ArrayList<>();
    for (int j = 0; j < setup.getNumberLimitsCount(); j++) {
      NumberOverride n = setup.getNumberLimits(j);
      Commands.SetNumberLimits s = field(at + ".number_limits[" + j + "]",
          () -> Requests.setNumberLimits(SetNumberLimitsRequest.newBuilder()
              .setOrgId(orgId).setNumber(n.getNumber()).setLimits(n.getLimits()).build()));
      numbers.add(new Results.NumberOverride(s.number(), s.limits()));
    }
    return new Commands.OrgSetup(put.org(), reservations, logins, numbers);
  }

  /** A request translation, as the admin API does it. */
  private interface Translation<T> {
    T get() throws InvalidRequest;
  }

  /** Runs {@code translate}, naming a bad field by its place in the file. */
  private static <T> T field(String at, Translation<T> translate) throws Invalid {
    try {
      return translate.get();
    } catch (InvalidRequest e) {
      // The admin API names fields within its request (slots, limits.window): here they sit
      // under the file's entry, with the same names.
      throw new Invalid(at + "." + e.describe(), e);
    }
  }
}
