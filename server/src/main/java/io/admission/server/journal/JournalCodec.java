package io.admission.server.journal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.admission.server.engine.CallType;
import io.admission.server.engine.CallingHours;
import io.admission.server.engine.Commands;
import io.admission.server.engine.DailyCap;
import io.admission.server.engine.DenialReason;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.HoldReason;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.OrgField;
import io.admission.server.engine.Results;
import io.admission.server.engine.SlotKind;
import io.admission.server.journal.proto.Acquire;
import io.admission.server.journal.proto.CallState;
import io.admission.server.journal.proto.Denial;
import io.admission.server.journal.proto.Figures;
import io.admission.server.journal.proto.LoginOverride;
import io.admission.server.journal.proto.LimitEntry;
import io.admission.server.journal.proto.LimitPart;
import io.admission.server.journal.proto.NumberOverride;
import io.admission.server.journal.proto.OrgSettings;
import io.admission.server.journal.proto.OrgState;
import io.admission.server.journal.proto.Phase;
import io.admission.server.journal.proto.RampStep;
import io.admission.server.journal.proto.Record;
import io.admission.server.journal.proto.Release;
import io.admission.server.journal.proto.RemoveAgent;
import io.admission.server.journal.proto.Renew;
import io.admission.server.journal.proto.Reservation;
import io.admission.server.journal.proto.SetLoginLimits;
import io.admission.server.journal.proto.SetNumberLimits;
import io.admission.server.journal.proto.SetReservation;
import io.admission.server.journal.proto.Snapshot;
import io.admission.server.journal.proto.CallChunk;
import io.admission.server.journal.proto.SnapshotEnd;
import io.admission.server.journal.proto.SnapshotPart;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The engine's commands and state to and from format 2 of the data directory
 * (admission/journal/v2/journal.proto). A field-for-field translation of engine values: decoding
 * trusts what it reads — every record was validated before it was written — and refuses only what
 * cannot be an engine value at all (a record without a command, an enum value it does not know),
 * which can only come from damage or from a newer server.
 */
final class JournalCodec {
  private static final System.Logger LOG = System.getLogger(JournalCodec.class.getName());

  private JournalCodec() {}

  /** A record that is well-framed but holds no engine value: damage, or a newer format. */
  static final class Undecodable extends Exception {
    private static final long serialVersionUID = 1L;

    Undecodable(String message) {
      super(message);
    }
  }

  // ---- Commands ---------------------------------------------------------------------------

  /** The record for a command; null for {@link Commands.Tick}, which is not logged. */
  static Record encode(Commands.Command<?> command, long stampedAt) {
    Record.Builder r = Record.newBuilder().setStampedAtMillis(stampedAt);
    if (command instanceof Commands.Acquire c) {
      r.setAcquire(acquire(c));
    } else if (command instanceof Commands.Release c) {
      r.setRelease(Release.newBuilder().setOrgId(c.orgId()).setCallId(c.callId()));
    } else if (command instanceof Commands.Renew c) {
      r.setRenew(Renew.newBuilder().setOrgId(c.orgId()).addAllCallIds(c.callIds())
          .setLeaseTtlMillis(c.leaseTtlMillis()));
    } else if (command instanceof Commands.PutOrg c) {
      r.setPutOrg(io.admission.server.journal.proto.PutOrg.newBuilder().setOrg(org(c.org())));
    } else if (command instanceof Commands.SetReservation c) {
      r.setSetReservation(SetReservation.newBuilder().setOrgId(c.orgId()).setAgentId(c.agentId())
          .setCallType(callType(c.callType())).setSlots(c.slots()));
    } else if (command instanceof Commands.RemoveAgent c) {
      r.setRemoveAgent(RemoveAgent.newBuilder().setOrgId(c.orgId()).setAgentId(c.agentId()));
    } else if (command instanceof Commands.SetLoginLimits c) {
      r.setSetLoginLimits(SetLoginLimits.newBuilder().setOrgId(c.orgId()).setLoginId(c.loginId())
          .setLimits(loginLimits(c.limits())));
    } else if (command instanceof Commands.SetNumberLimits c) {
      r.setSetNumberLimits(SetNumberLimits.newBuilder().setOrgId(c.orgId()).setNumber(c.number())
          .setLimits(numberLimits(c.limits())));
    } else if (command instanceof Commands.UpdateOrg c) {
      var u = io.admission.server.journal.proto.UpdateOrg.newBuilder().setValues(org(c.values()));
      for (OrgField f : OrgField.values()) { // in enum order: equal commands, equal bytes
        if (c.fields().contains(f)) {
          u.addFields(io.admission.server.journal.proto.OrgField.valueOf("ORG_FIELD_" + f.name()));
        }
      }
      r.setUpdateOrg(u);
    } else if (command instanceof Commands.DeleteOrg c) {
      r.setDeleteOrg(io.admission.server.journal.proto.DeleteOrg.newBuilder().setOrgId(c.orgId()));
    } else if (command instanceof Commands.ApplyConfig c) {
      var a = io.admission.server.journal.proto.ApplyConfig.newBuilder();
      for (Commands.OrgSetup setup : c.orgs()) {
        var o = io.admission.server.journal.proto.OrgSetup.newBuilder().setOrg(org(setup.org()));
        setup.reservations().forEach(x -> o.addReservations(reservation(x)));
        setup.loginOverrides().forEach(x -> o.addLoginLimits(LoginOverride.newBuilder()
            .setLoginId(x.loginId()).setLimits(loginLimits(x.limits()))));
        setup.numberOverrides().forEach(x -> o.addNumberLimits(NumberOverride.newBuilder()
            .setNumber(x.number()).setLimits(numberLimits(x.limits()))));
        a.addOrgs(o);
      }
      r.setApplyConfig(a);
    } else if (command instanceof Commands.Tick) {
      return null; // timers fire at their own instants on replay anyway
    } else {
      // A command the log cannot record must never be applied: failing here fails the append.
      throw new IllegalArgumentException("the journal has no record for " + command);
    }
    return r.build();
  }

  // ---- The hot commands, written straight into the journal's buffer -----------------------
  //
  // Acquire, Release and Renew are nearly every record. Writing them field by field with
  // CodedOutputStream skips a builder, a message and a byte array per command; the bytes are the
  // ones encode(...).toByteArray() gives (proto3: fields in number order, scalars at their default
  // left out, a set oneof message always written, every element of a repeated field written).

  /** A proto CallType's number by the engine's ordinal; looked up by name once. */
  private static final int[] CALL_TYPE_NUMBERS = new int[CallType.values().length];

  static {
    for (CallType t : CallType.values()) {
      CALL_TYPE_NUMBERS[t.ordinal()] = callType(t).getNumber();
    }
  }

  /**
   * The size of {@code command}'s record payload as {@link #writeDirect} writes it, or -1 for a
   * command that goes through {@link #encode} (the rare ones, and Tick).
   */
  static int directSize(Commands.Command<?> command, long stampedAt) {
    int body;
    int field;
    if (command instanceof Commands.Acquire c) {
      body = acquireSize(c);
      field = Record.ACQUIRE_FIELD_NUMBER;
    } else if (command instanceof Commands.Release c) {
      body = releaseSize(c);
      field = Record.RELEASE_FIELD_NUMBER;
    } else if (command instanceof Commands.Renew c) {
      body = renewSize(c);
      field = Record.RENEW_FIELD_NUMBER;
    } else {
      return -1;
    }
    return int64Size(Record.STAMPED_AT_MILLIS_FIELD_NUMBER, stampedAt)
        + CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(body)
        + body;
  }

  /**
   * Writes the framed record (see {@link Records}) of {@code command}, whose payload is {@code
   * size} bytes ({@link #directSize}), at {@code buf}'s position, which must leave room for it;
   * moves the position past it.
   */
  static void writeDirect(ByteBuffer buf, Commands.Command<?> command, long stampedAt, int size)
      throws IOException {
    int start = buf.position();
    int payload = buf.arrayOffset() + start + Records.HEADER;
    CodedOutputStream out = CodedOutputStream.newInstance(buf.array(), payload, size);
    if (stampedAt != 0) {
      out.writeInt64(Record.STAMPED_AT_MILLIS_FIELD_NUMBER, stampedAt);
    }
    if (command instanceof Commands.Acquire c) {
      message(out, Record.ACQUIRE_FIELD_NUMBER, acquireSize(c));
      string(out, Acquire.ORG_ID_FIELD_NUMBER, c.orgId());
      string(out, Acquire.CALL_ID_FIELD_NUMBER, c.callId());
      string(out, Acquire.AGENT_ID_FIELD_NUMBER, c.agentId());
      int type = CALL_TYPE_NUMBERS[c.callType().ordinal()];
      if (type != 0) {
        out.writeEnum(Acquire.CALL_TYPE_FIELD_NUMBER, type);
      }
      string(out, Acquire.LOGIN_ID_FIELD_NUMBER, c.loginId());
      string(out, Acquire.FROM_NUMBER_FIELD_NUMBER, c.fromNumber());
      int64(out, Acquire.LEASE_TTL_MILLIS_FIELD_NUMBER, c.leaseTtlMillis());
      int64(out, Acquire.MAX_WAIT_MILLIS_FIELD_NUMBER, c.maxWaitMillis());
    } else if (command instanceof Commands.Release c) {
      message(out, Record.RELEASE_FIELD_NUMBER, releaseSize(c));
      string(out, Release.ORG_ID_FIELD_NUMBER, c.orgId());
      string(out, Release.CALL_ID_FIELD_NUMBER, c.callId());
    } else if (command instanceof Commands.Renew c) {
      message(out, Record.RENEW_FIELD_NUMBER, renewSize(c));
      string(out, Renew.ORG_ID_FIELD_NUMBER, c.orgId());
      for (String callId : c.callIds()) {
        out.writeString(Renew.CALL_IDS_FIELD_NUMBER, callId); // repeated: empty ones too
      }
      int64(out, Renew.LEASE_TTL_MILLIS_FIELD_NUMBER, c.leaseTtlMillis());
    } else {
      throw new IllegalArgumentException("not written directly: " + command);
    }
    out.checkNoSpaceLeft(); // the size was computed right, or this record must not be logged
    buf.putInt(start, size);
    buf.putInt(start + Records.HEADER / 2, Records.crc(buf.array(), payload, size));
    buf.position(start + Records.HEADER + size);
  }

  private static int acquireSize(Commands.Acquire c) {
    int type = CALL_TYPE_NUMBERS[c.callType().ordinal()];
    return stringSize(Acquire.ORG_ID_FIELD_NUMBER, c.orgId())
        + stringSize(Acquire.CALL_ID_FIELD_NUMBER, c.callId())
        + stringSize(Acquire.AGENT_ID_FIELD_NUMBER, c.agentId())
        + (type == 0 ? 0 : CodedOutputStream.computeEnumSize(Acquire.CALL_TYPE_FIELD_NUMBER, type))
        + stringSize(Acquire.LOGIN_ID_FIELD_NUMBER, c.loginId())
        + stringSize(Acquire.FROM_NUMBER_FIELD_NUMBER, c.fromNumber())
        + int64Size(Acquire.LEASE_TTL_MILLIS_FIELD_NUMBER, c.leaseTtlMillis())
        + int64Size(Acquire.MAX_WAIT_MILLIS_FIELD_NUMBER, c.maxWaitMillis());
  }

  private static int releaseSize(Commands.Release c) {
    return stringSize(Release.ORG_ID_FIELD_NUMBER, c.orgId())
        + stringSize(Release.CALL_ID_FIELD_NUMBER, c.callId());
  }

  private static int renewSize(Commands.Renew c) {
    int size = stringSize(Renew.ORG_ID_FIELD_NUMBER, c.orgId())
        + int64Size(Renew.LEASE_TTL_MILLIS_FIELD_NUMBER, c.leaseTtlMillis());
    for (String callId : c.callIds()) {
      size += CodedOutputStream.computeStringSize(Renew.CALL_IDS_FIELD_NUMBER, callId);
    }
    return size;
  }

  private static int stringSize(int field, String value) {
    return value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, value);
  }

  private static int int64Size(int field, long value) {
    return value == 0 ? 0 : CodedOutputStream.computeInt64Size(field, value);
  }

  private static void message(CodedOutputStream out, int field, int size) throws IOException {
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(size);
  }

  private static void string(CodedOutputStream out, int field, String value) throws IOException {
    if (!value.isEmpty()) {
      out.writeString(field, value);
    }
  }

  private static void int64(CodedOutputStream out, int field, long value) throws IOException {
    if (value != 0) {
      out.writeInt64(field, value);
    }
  }

  static Commands.Command<?> decode(Record r) throws Undecodable {
    return switch (r.getCommandCase()) {
      case ACQUIRE -> acquire(r.getAcquire());
      case RELEASE -> new Commands.Release(r.getRelease().getOrgId(), r.getRelease().getCallId());
      case RENEW -> new Commands.Renew(r.getRenew().getOrgId(), r.getRenew().getCallIdsList(),
          r.getRenew().getLeaseTtlMillis());
      case PUT_ORG -> new Commands.PutOrg(org(r.getPutOrg().getOrg()));
      case SET_RESERVATION -> new Commands.SetReservation(r.getSetReservation().getOrgId(),
          r.getSetReservation().getAgentId(), callType(r.getSetReservation().getCallType()),
          r.getSetReservation().getSlots());
      case REMOVE_AGENT -> new Commands.RemoveAgent(
          r.getRemoveAgent().getOrgId(), r.getRemoveAgent().getAgentId());
      case SET_LOGIN_LIMITS -> new Commands.SetLoginLimits(r.getSetLoginLimits().getOrgId(),
          r.getSetLoginLimits().getLoginId(), loginLimits(r.getSetLoginLimits().getLimits()));
      case SET_NUMBER_LIMITS -> new Commands.SetNumberLimits(r.getSetNumberLimits().getOrgId(),
          r.getSetNumberLimits().getNumber(), numberLimits(r.getSetNumberLimits().getLimits()));
      case UPDATE_ORG -> updateOrg(r.getUpdateOrg());
      case DELETE_ORG -> new Commands.DeleteOrg(r.getDeleteOrg().getOrgId());
      case APPLY_CONFIG -> applyConfig(r.getApplyConfig());
      case COMMAND_NOT_SET -> throw new Undecodable(
          "the record holds no command this server knows (written by a newer version?)");
    };
  }

  private static Commands.UpdateOrg updateOrg(io.admission.server.journal.proto.UpdateOrg u)
      throws Undecodable {
    Set<OrgField> fields = EnumSet.noneOf(OrgField.class);
    for (var f : u.getFieldsList()) {
      fields.add(engineEnum(OrgField.class, "ORG_FIELD_", f));
    }
    return new Commands.UpdateOrg(org(u.getValues()), fields);
  }

  private static Commands.ApplyConfig applyConfig(io.admission.server.journal.proto.ApplyConfig a)
      throws Undecodable {
    List<Commands.OrgSetup> orgs = new ArrayList<>(a.getOrgsCount());
    for (var o : a.getOrgsList()) {
      orgs.add(new Commands.OrgSetup(org(o.getOrg()), reservations(o.getReservationsList()),
          loginOverrides(o.getLoginLimitsList()), numberOverrides(o.getNumberLimitsList())));
    }
    return new Commands.ApplyConfig(orgs);
  }

  private static Reservation reservation(Results.Reservation r) {
    return Reservation.newBuilder()
        .setAgentId(r.agentId()).setCallType(callType(r.callType())).setSlots(r.slots()).build();
  }

  private static Results.Reservation reservation(Reservation r) throws Undecodable {
    return new Results.Reservation(r.getAgentId(), callType(r.getCallType()), r.getSlots());
  }

  private static Acquire acquire(Commands.Acquire c) {
    return Acquire.newBuilder()
        .setOrgId(c.orgId()).setCallId(c.callId()).setAgentId(c.agentId())
        .setCallType(callType(c.callType())).setLoginId(c.loginId()).setFromNumber(c.fromNumber())
        .setLeaseTtlMillis(c.leaseTtlMillis()).setMaxWaitMillis(c.maxWaitMillis())
        .build();
  }

  private static Commands.Acquire acquire(Acquire a) throws Undecodable {
    return new Commands.Acquire(a.getOrgId(), a.getCallId(), a.getAgentId(),
        callType(a.getCallType()), a.getLoginId(), a.getFromNumber(), a.getLeaseTtlMillis(),
        a.getMaxWaitMillis());
  }

  // ---- Settings ---------------------------------------------------------------------------

  static OrgSettings org(OrgConfig o) {
    OrgSettings.Builder b = OrgSettings.newBuilder()
        .setOrgId(o.orgId())
        .setConcurrencyLimit(o.concurrencyLimit())
        .setTimeZone(o.timeZone().getId())
        .setLoginDefaults(loginLimits(o.loginDefaults()))
        .setNumberDefaults(numberLimits(o.numberDefaults()));
    o.defaultLeaseTtlMillis().ifPresent(b::setDefaultLeaseTtlMillis);
    o.dailyCap().ifPresent(cap -> {
      var d = io.admission.server.journal.proto.DailyCap.newBuilder().setCap(cap.cap());
      cap.ramp().forEach(s -> d.addRamp(
          RampStep.newBuilder().setThroughDay(s.throughDay()).setCap(s.cap())));
      if (cap.startDate() != null) {
        d.setStartEpochDay(cap.startDate().toEpochDay());
      }
      // In the engine's enum order, so that equal caps give equal bytes.
      EnumSet.copyOf(cap.countedTypes()).forEach(t -> d.addCountedCallTypes(callType(t)));
      b.setDailyCap(d);
    });
    if (!o.callingHours().isEmpty()) {
      b.setCallingHours(callingHours(o.callingHours()));
    }
    return b.build();
  }

  private static io.admission.server.journal.proto.CallingHours callingHours(CallingHours h) {
    var b = io.admission.server.journal.proto.CallingHours.newBuilder();
    h.windows().forEach(w -> b.addWindows(io.admission.server.journal.proto.CallingWindow
        .newBuilder().setWeekday(w.day().getValue()).setStartMinute(w.startMinute())
        .setEndMinute(w.endMinute())));
    EnumSet.copyOf(h.restrictedTypes()).forEach(t -> b.addRestrictedCallTypes(callType(t)));
    return b.build();
  }

  private static CallingHours callingHours(io.admission.server.journal.proto.CallingHours h)
      throws Undecodable {
    List<CallingHours.Window> windows = new ArrayList<>(h.getWindowsCount());
    h.getWindowsList().forEach(w -> windows.add(new CallingHours.Window(
        DayOfWeek.of(w.getWeekday()), w.getStartMinute(), w.getEndMinute())));
    Set<CallType> types = EnumSet.noneOf(CallType.class);
    for (var t : h.getRestrictedCallTypesList()) {
      types.add(callType(t));
    }
    return new CallingHours(windows, types);
  }

  static OrgConfig org(OrgSettings o) throws Undecodable {
    Optional<DailyCap> cap = Optional.empty();
    if (o.hasDailyCap()) {
      var d = o.getDailyCap();
      List<DailyCap.RampStep> ramp = new ArrayList<>(d.getRampCount());
      d.getRampList().forEach(s -> ramp.add(new DailyCap.RampStep(s.getThroughDay(), s.getCap())));
      Set<CallType> counted = EnumSet.noneOf(CallType.class);
      for (var t : d.getCountedCallTypesList()) {
        counted.add(callType(t));
      }
      cap = Optional.of(new DailyCap(d.getCap(), ramp,
          d.hasStartEpochDay() ? LocalDate.ofEpochDay(d.getStartEpochDay()) : null, counted));
    }
    return new OrgConfig(
        o.getOrgId(),
        o.getConcurrencyLimit(),
        cap,
        zone(o.getOrgId(), o.getTimeZone()),
        o.hasDefaultLeaseTtlMillis()
            ? OptionalLong.of(o.getDefaultLeaseTtlMillis()) : OptionalLong.empty(),
        loginLimits(o.getLoginDefaults()),
        numberLimits(o.getNumberDefaults()),
        o.hasCallingHours() ? callingHours(o.getCallingHours()) : CallingHours.NONE);
  }

  /**
   * The org's zone. One this JDK's time-zone database no longer knows was valid when it was
   * written; refusing to start over it would lose every org, so the org falls back to UTC and
   * the log says so (an operator sets a valid zone with UpdateOrg).
   */
  private static ZoneId zone(String orgId, String id) {
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      LOG.log(Level.WARNING, "org " + orgId + ": time zone " + id + " is unknown to this Java's"
          + " time-zone database; its daily caps reset at UTC midnight until the zone is set again");
      return ZoneOffset.UTC;
    }
  }

  static io.admission.server.journal.proto.LoginLimits loginLimits(LoginLimits l) {
    var b = io.admission.server.journal.proto.LoginLimits.newBuilder();
    l.maxConcurrent().ifPresent(b::setMaxConcurrent);
    l.maxPerWindow().ifPresent(b::setMaxPerWindow);
    l.windowMillis().ifPresent(b::setWindowMillis);
    return b.build();
  }

  static LoginLimits loginLimits(io.admission.server.journal.proto.LoginLimits l) {
    return new LoginLimits(
        l.hasMaxConcurrent() ? OptionalInt.of(l.getMaxConcurrent()) : OptionalInt.empty(),
        l.hasMaxPerWindow() ? OptionalInt.of(l.getMaxPerWindow()) : OptionalInt.empty(),
        l.hasWindowMillis() ? OptionalLong.of(l.getWindowMillis()) : OptionalLong.empty());
  }

  static io.admission.server.journal.proto.NumberLimits numberLimits(NumberLimits n) {
    var b = io.admission.server.journal.proto.NumberLimits.newBuilder();
    n.maxPerDay().ifPresent(b::setMaxPerDay);
    n.maxPerHour().ifPresent(b::setMaxPerHour);
    n.maxConcurrent().ifPresent(b::setMaxConcurrent);
    return b.build();
  }

  static NumberLimits numberLimits(io.admission.server.journal.proto.NumberLimits n) {
    return new NumberLimits(
        n.hasMaxPerDay() ? OptionalInt.of(n.getMaxPerDay()) : OptionalInt.empty(),
        n.hasMaxPerHour() ? OptionalInt.of(n.getMaxPerHour()) : OptionalInt.empty(),
        n.hasMaxConcurrent() ? OptionalInt.of(n.getMaxConcurrent()) : OptionalInt.empty());
  }

  // ---- Enums: by name, so that the on-disk numbers stay put when the engine's order changes --

  static io.admission.server.journal.proto.CallType callType(CallType t) {
    return io.admission.server.journal.proto.CallType.valueOf("CALL_TYPE_" + t.name());
  }

  static CallType callType(io.admission.server.journal.proto.CallType t) throws Undecodable {
    return engineEnum(CallType.class, "CALL_TYPE_", t);
  }

  private static <E extends Enum<E>> E engineEnum(Class<E> type, String prefix, Enum<?> value)
      throws Undecodable {
    String name = value.name(); // UNRECOGNIZED for a number this build does not know
    if (name.startsWith(prefix)) {
      try {
        return Enum.valueOf(type, name.substring(prefix.length()));
      } catch (IllegalArgumentException e) {
        // falls through: not one of the engine's values
      }
    }
    throw new Undecodable("no " + type.getSimpleName() + " " + name
        + " in this server (damaged, or written by a newer version?)");
  }

  /** The same, where the field is optional: unspecified is null. */
  private static <E extends Enum<E>> E engineEnumOrNull(Class<E> type, String prefix, Enum<?> value)
      throws Undecodable {
    return value.name().endsWith("_UNSPECIFIED") ? null : engineEnum(type, prefix, value);
  }

  // ---- Snapshots --------------------------------------------------------------------------

  /** The snapshot as one message: the form written before the streamed one; tests write it. */
  static Snapshot encode(EngineSnapshot s, long nextEntry) {
    Snapshot.Builder b = Snapshot.newBuilder()
        .setNextEntry(nextEntry).setNextSeq(s.nextSeq()).setLastNowMillis(s.lastNow());
    for (EngineSnapshot.Org o : s.orgs()) {
      OrgState.Builder ob = orgState(o);
      o.calls().forEach(c -> ob.addCalls(call(c)));
      b.addOrgs(ob);
    }
    return b.build();
  }

  /** An org without its calls. */
  private static OrgState.Builder orgState(EngineSnapshot.Org o) {
    OrgState.Builder ob = OrgState.newBuilder().setConfig(org(o.config()));
    o.reservations().forEach(r -> ob.addReservations(reservation(r)));
    o.loginOverrides().forEach(l -> ob.addLoginLimits(LoginOverride.newBuilder()
        .setLoginId(l.loginId()).setLimits(loginLimits(l.limits()))));
    o.numberOverrides().forEach(n -> ob.addNumberLimits(NumberOverride.newBuilder()
        .setNumber(n.number()).setLimits(numberLimits(n.limits()))));
    o.limits().forEach(p -> {
      LimitPart.Builder pb = ob.addLimitsBuilder().setLimit(p.limit());
      p.entries().forEach(e -> pb.addEntries(
          LimitEntry.newBuilder().setKey(e.key()).addAllValues(e.values())));
    });
    return ob;
  }

  // ---- Snapshots as a stream of parts (SnapshotPart) ---------------------------------------

  /** The first byte of a streamed snapshot; a Snapshot message never starts with it (field 0). */
  private static final int STREAMED = 0;
  /** Calls per CallChunk part: ~100 bytes each, so a part is some hundred KB at most. */
  static final int CALLS_PER_CHUNK = 2048;

  /**
   * Writes {@code t} as a stream of parts to {@code out} (buffered by the caller): a part at a
   * time, so that writing holds one part's messages and bytes, never the whole snapshot's.
   */
  static void writeSnapshot(Snapshots.Taken t, long nextEntry, OutputStream out) throws IOException {
    out.write(STREAMED);
    part(out, SnapshotPart.newBuilder().setHeader(Snapshot.newBuilder().setNextEntry(nextEntry)
        .setNextSeq(t.nextSeq()).setLastNowMillis(t.lastNow())));
    Chunks chunks = new Chunks(out);
    for (EngineSnapshot.Org o : t.orgs()) {
      chunks.flush();
      part(out, SnapshotPart.newBuilder().setOrg(orgState(o)));
      o.calls().forEach(chunks::add);
    }
    try {
      t.remembered().forEach(chunks::add);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    chunks.flush();
    part(out, SnapshotPart.newBuilder().setEnd(
        SnapshotEnd.newBuilder().setOrgs(t.orgs().size()).setCalls(chunks.written)));
  }

  /** Calls gathered into CallChunk parts. */
  private static final class Chunks {
    private final OutputStream out;
    private final CallChunk.Builder chunk = CallChunk.newBuilder();
    long written;

    Chunks(OutputStream out) {
      this.out = out;
    }

    void add(EngineSnapshot.CallState c) {
      chunk.addCalls(call(c));
      written++;
      if (chunk.getCallsCount() == CALLS_PER_CHUNK) {
        try {
          flush();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    void flush() throws IOException {
      if (chunk.getCallsCount() > 0) {
        part(out, SnapshotPart.newBuilder().setCalls(chunk));
        chunk.clear();
      }
    }
  }

  private static void part(OutputStream out, SnapshotPart.Builder part) throws IOException {
    part.build().writeDelimitedTo(out);
  }

  /** A snapshot read back: the engine, the journal entry it covers up to, the engine's time. */
  record ReadSnapshot(Engine engine, long nextEntry, long lastNow) {}

  /**
   * Reads a snapshot, streamed ({@link #writeSnapshot}) or written as one message (before the
   * streamed form), into an engine filing ended calls under {@code idHashKey}. A streamed one is
   * read a part at a time into the engine. Refuses one that is cut short, has parts out of order
   * or holds what this server does not know.
   */
  static ReadSnapshot readSnapshot(InputStream in, IdHashKey idHashKey)
      throws IOException, Undecodable {
    in = in.markSupported() ? in : new BufferedInputStream(in, 1 << 16);
    in.mark(1);
    if (in.read() != STREAMED) {
      in.reset();
      Snapshot whole = Snapshot.parseFrom(in);
      EngineSnapshot state = decode(whole);
      return new ReadSnapshot(
          Snapshots.restore(state, idHashKey), whole.getNextEntry(), state.lastNow());
    }
    SnapshotPart first = SnapshotPart.parseDelimitedFrom(in);
    if (first == null || !first.hasHeader()) {
      throw new Undecodable("the snapshot does not start with its header");
    }
    Snapshot header = first.getHeader();
    Snapshots.Restoring restoring =
        new Snapshots.Restoring(header.getNextSeq(), header.getLastNowMillis(), idHashKey);
    long orgs = 0;
    long calls = 0;
    while (true) {
      SnapshotPart part = SnapshotPart.parseDelimitedFrom(in);
      if (part == null) {
        throw new Undecodable("the snapshot ends after " + orgs + " orgs and " + calls
            + " calls without its end part: it was cut short");
      }
      switch (part.getPartCase()) {
        case ORG -> {
          restoring.org(org(part.getOrg()));
          orgs++;
        }
        case CALLS -> {
          for (CallState c : part.getCalls().getCallsList()) {
            restoring.call(call(c));
          }
          calls += part.getCalls().getCallsCount();
        }
        case END -> {
          SnapshotEnd end = part.getEnd();
          if (end.getOrgs() != orgs || end.getCalls() != calls) {
            throw new Undecodable("the snapshot's end counts " + end.getOrgs() + " orgs and "
                + end.getCalls() + " calls, but " + orgs + " and " + calls + " came before it");
          }
          if (in.read() != -1) {
            throw new Undecodable("the snapshot goes on after its end part");
          }
          return new ReadSnapshot(restoring.finish(), header.getNextEntry(), header.getLastNowMillis());
        }
        case HEADER -> throw new Undecodable("the snapshot has a second header");
        case PART_NOT_SET -> throw new Undecodable(
            "the snapshot holds a part this server does not know (written by a newer version?)");
      }
    }
  }

  private static CallState call(EngineSnapshot.CallState c) {
    CallState.Builder b = CallState.newBuilder()
        .setRequest(acquire(c.request()))
        .setSeq(c.seq())
        .setPhase(Phase.valueOf("PHASE_" + c.phase().name()))
        .setReadyAt(c.readyAt())
        .setHeldSince(c.heldSince())
        .setWaitDeadline(c.waitDeadline())
        .setGrantedAt(c.grantedAt())
        .setTtlMillis(c.ttlMillis())
        .setExpiresAt(c.expiresAt())
        .setEndedAt(c.endedAt());
    if (c.holdReason() != null) {
      b.setHoldReason(io.admission.server.journal.proto.HoldReason.valueOf(
          "HOLD_REASON_" + c.holdReason().name())).setHoldFigures(figures(c.holdFigures()));
    }
    if (c.slotKind() != null) {
      b.setSlotKind(io.admission.server.journal.proto.SlotKind.valueOf(
          "SLOT_KIND_" + c.slotKind().name()));
    }
    if (c.endReason() != null) {
      b.setEndReason(io.admission.server.journal.proto.EndReason.valueOf(
          "END_REASON_" + c.endReason().name()));
    }
    if (c.denial() != null) {
      b.setDenial(Denial.newBuilder()
          .setReason(io.admission.server.journal.proto.DenialReason.valueOf(
              "DENIAL_REASON_" + c.denial().reason().name()))
          .setFigures(figures(c.denial().figures()))
          .setRetryAtMillis(c.denial().retryAt()));
    }
    return b.build();
  }

  private static Figures figures(Results.Figures f) {
    Figures.Builder b = Figures.newBuilder()
        .setSubject(f.subject()).setInUse(f.inUse()).setLimit(f.limit())
        .setWindowMillis(f.windowMillis()).setDecidedAt(f.decidedAt()).setZone(f.zone())
        .setAgentId(f.agentId()).setReserved(f.reserved()).setOrgLimit(f.orgLimit())
        .setRampDay(f.rampDay()).setFullCap(f.fullCap());
    if (f.callType() != null) {
      b.setCallType(callType(f.callType()));
    }
    if (f.callingHours() != null) {
      b.setCallingHours(callingHours(f.callingHours()));
    }
    return b.build();
  }

  private static Results.Figures figures(Figures f) throws Undecodable {
    return new Results.Figures(f.getSubject(), f.getInUse(), f.getLimit(), f.getWindowMillis(),
        f.getDecidedAt(), f.getZone(), f.getAgentId(),
        engineEnumOrNull(CallType.class, "CALL_TYPE_", f.getCallType()), f.getReserved(),
        f.getOrgLimit(), f.getRampDay(), f.getFullCap(),
        f.hasCallingHours() ? callingHours(f.getCallingHours()) : null);
  }

  static EngineSnapshot decode(Snapshot s) throws Undecodable {
    List<EngineSnapshot.Org> orgs = new ArrayList<>(s.getOrgsCount());
    for (OrgState o : s.getOrgsList()) {
      orgs.add(org(o));
    }
    return new EngineSnapshot(s.getNextSeq(), s.getLastNowMillis(), orgs);
  }

  /** An org's reservations, as ApplyConfig and a snapshot's org both carry them. */
  private static List<Results.Reservation> reservations(List<Reservation> from) throws Undecodable {
    List<Results.Reservation> reservations = new ArrayList<>(from.size());
    for (Reservation r : from) {
      reservations.add(reservation(r));
    }
    return reservations;
  }

  private static List<Results.LoginOverride> loginOverrides(List<LoginOverride> from) {
    List<Results.LoginOverride> logins = new ArrayList<>(from.size());
    from.forEach(l -> logins.add(new Results.LoginOverride(l.getLoginId(), loginLimits(l.getLimits()))));
    return logins;
  }

  private static List<Results.NumberOverride> numberOverrides(List<NumberOverride> from) {
    List<Results.NumberOverride> numbers = new ArrayList<>(from.size());
    from.forEach(n -> numbers.add(new Results.NumberOverride(n.getNumber(), numberLimits(n.getLimits()))));
    return numbers;
  }

  /** An org with the calls it holds (none, in a streamed snapshot). */
  private static EngineSnapshot.Org org(OrgState o) throws Undecodable {
    List<Results.Reservation> reservations = reservations(o.getReservationsList());
    List<Results.LoginOverride> logins = loginOverrides(o.getLoginLimitsList());
    List<Results.NumberOverride> numbers = numberOverrides(o.getNumberLimitsList());
    List<EngineSnapshot.LoginWindow> windows = new ArrayList<>();
    o.getLoginWindowsList().forEach(w -> windows.add(
        new EngineSnapshot.LoginWindow(w.getLoginId(), w.getStartsList(), w.getWakeAt())));
    List<EngineSnapshot.NumberCounts> counts = new ArrayList<>();
    o.getNumberCountsList().forEach(n -> counts.add(new EngineSnapshot.NumberCounts(
        n.getNumber(), n.getStartsList(), n.getDay(), n.getToday(), n.getWakeAt())));
    List<EngineSnapshot.CallState> calls = new ArrayList<>(o.getCallsCount());
    for (CallState c : o.getCallsList()) {
      calls.add(call(c));
    }
    if (o.getLimitsCount() == 0) {
      return EngineSnapshot.Org.withFixedFields(org(o.getConfig()), reservations, logins,
          numbers, windows, counts, o.getDailyDay(), o.getDailyUsed(), calls);
    }
    List<EngineSnapshot.LimitPart> parts = new ArrayList<>(o.getLimitsCount());
    o.getLimitsList().forEach(p -> parts.add(new EngineSnapshot.LimitPart(p.getLimit(),
        p.getEntriesList().stream()
            .map(e -> new EngineSnapshot.Entry(e.getKey(), e.getValuesList())).toList())));
    return new EngineSnapshot.Org(
        org(o.getConfig()), reservations, logins, numbers, parts, calls);
  }

  private static EngineSnapshot.CallState call(CallState c) throws Undecodable {
    EngineSnapshot.Phase phase = engineEnum(EngineSnapshot.Phase.class, "PHASE_", c.getPhase());
    HoldReason hold = engineEnumOrNull(HoldReason.class, "HOLD_REASON_", c.getHoldReason());
    Results.Denial denial = null;
    if (c.hasDenial()) {
      Denial d = c.getDenial();
      denial = new Results.Denial(engineEnum(DenialReason.class, "DENIAL_REASON_", d.getReason()),
          d.hasFigures() ? figures(d.getFigures()) : null, d.getRetryAtMillis());
    }
    // Without figures (a snapshot that kept words instead), the restore derives them.
    return new EngineSnapshot.CallState(
        acquire(c.getRequest()), c.getSeq(), phase, hold,
        hold != null && c.hasHoldFigures() ? figures(c.getHoldFigures()) : null, c.getReadyAt(),
        c.getHeldSince(),
        c.getWaitDeadline(), engineEnumOrNull(SlotKind.class, "SLOT_KIND_", c.getSlotKind()),
        c.getGrantedAt(), c.getTtlMillis(), c.getExpiresAt(),
        engineEnumOrNull(EndReason.class, "END_REASON_", c.getEndReason()), c.getEndedAt(), denial);
  }
}
