package io.admission.server.engine;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Every state-changing request, as a value. The loop stamps each with the time it was taken and
 * hands the pair to the command log (the journal now, a replicated log later); applying the same
 * commands at the same times rebuilds the same state. Fields are already validated by the adapter.
 */
public final class Commands {
  private Commands() {}

  /** A command the engine can apply, giving a result of type {@code R}. */
  public sealed interface Command<R>
      permits Acquire, Release, Renew, PutOrg, SetReservation, RemoveAgent, SetLoginLimits,
          SetNumberLimits, Tick, UpdateOrg, DeleteOrg, ApplyConfig {
    R applyTo(Engine engine, long now);

    /** The org the command is about; empty for {@link Tick} and {@link ApplyConfig}. */
    String orgId();
  }

  /**
   * Asks for a slot. Empty strings mean "not given".
   *
   * @param leaseTtlMillis 0 means the org's default
   * @param maxWaitMillis 0 means wait as long as it takes
   */
  public record Acquire(
      String orgId,
      String callId,
      String agentId,
      CallType callType,
      String loginId,
      String fromNumber,
      long leaseTtlMillis,
      long maxWaitMillis)
      implements Command<Results.AcquireResult> {
    @Override
    public Results.AcquireResult applyTo(Engine engine, long now) {
      return engine.acquire(this, now);
    }
  }

  /** Ends a call, or cancels a held one. */
  public record Release(String orgId, String callId) implements Command<Results.ReleaseResult> {
    @Override
    public Results.ReleaseResult applyTo(Engine engine, long now) {
      return engine.release(this, now);
    }
  }

  /** Extends leases; {@code leaseTtlMillis} 0 keeps each lease's own TTL. */
  public record Renew(String orgId, List<String> callIds, long leaseTtlMillis) implements Command<Results.RenewResult> {
    @Override
    public Results.RenewResult applyTo(Engine engine, long now) {
      return engine.renew(this, now);
    }
    public Renew {
      callIds = List.copyOf(callIds);
    }
  }

  /** Creates or replaces an org's settings. */
  public record PutOrg(OrgConfig org) implements Command<Results.AdminResult> {
    @Override
    public String orgId() {
      return org.orgId();
    }

    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.putOrg(this, now);
    }
  }

  /**
   * Changes the {@code fields} of an existing org to their values in {@code values}; the org's
   * other settings stay as they are when the command is applied (the merge happens in the engine,
   * so concurrent updates of different fields never undo each other). The settings of {@code
   * values} outside {@code fields} mean nothing and are never read.
   */
  public record UpdateOrg(OrgConfig values, Set<OrgField> fields) implements Command<Results.AdminResult> {
    public UpdateOrg {
      fields = Collections.unmodifiableSet(
          fields.isEmpty() ? EnumSet.noneOf(OrgField.class) : EnumSet.copyOf(fields));
    }

    @Override
    public String orgId() {
      return values.orgId();
    }

    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.updateOrg(this, now);
    }
  }

  /** Deletes an org with everything under it, unless it has active or held calls. */
  public record DeleteOrg(String orgId) implements Command<Results.AdminResult> {
    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.deleteOrg(this, now);
    }
  }

  /** Sets one agent's reserved slots for one call type. */
  public record SetReservation(String orgId, String agentId, CallType callType, int slots)
      implements Command<Results.AdminResult> {
    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.setReservation(this, now);
    }
  }

  /** Sets all of an agent's reservations to 0. */
  public record RemoveAgent(String orgId, String agentId) implements Command<Results.AdminResult> {
    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.removeAgent(this, now);
    }
  }

  /** Sets a login's own limits; {@link LoginLimits#INHERIT} removes them. */
  public record SetLoginLimits(String orgId, String loginId, LoginLimits limits)
      implements Command<Results.AdminResult> {
    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.setLoginLimits(this, now);
    }
  }

  /** Sets a number's own caps; {@link NumberLimits#INHERIT} removes them. */
  public record SetNumberLimits(String orgId, String number, NumberLimits limits)
      implements Command<Results.AdminResult> {
    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.setNumberLimits(this, now);
    }
  }

  /**
   * A whole config file ({@code --config}) as one change, all of it or none of it. For each org
   * listed, in order: the org is created or its settings replaced (as {@link PutOrg}), then each
   * listed reservation, login override and number override is set (as {@link SetReservation},
   * {@link SetLoginLimits}, {@link SetNumberLimits}). What the file does not list — other orgs,
   * other agents' reservations, other logins and numbers — is left as it is.
   *
   * <p>Its {@link #orgId} is empty: it may name many orgs. It is applied at start-up, before any
   * client can watch an org, so no {@code WatchOrg} stream misses it.
   */
  public record ApplyConfig(List<OrgSetup> orgs) implements Command<Results.AdminResult> {
    public ApplyConfig {
      orgs = List.copyOf(orgs);
    }

    @Override
    public String orgId() {
      return "";
    }

    @Override
    public Results.AdminResult applyTo(Engine engine, long now) {
      return engine.applyConfig(this, now);
    }
  }

  /**
   * One org of an {@link ApplyConfig}: its settings and what to set under it. A reservation of 0
   * slots removes one; an {@link LoginLimits#INHERIT} or {@link NumberLimits#INHERIT} override
   * removes the login's or number's own limits.
   */
  public record OrgSetup(
      OrgConfig org,
      List<Results.Reservation> reservations,
      List<Results.LoginOverride> loginOverrides,
      List<Results.NumberOverride> numberOverrides) {
    public OrgSetup {
      reservations = List.copyOf(reservations);
      loginOverrides = List.copyOf(loginOverrides);
      numberOverrides = List.copyOf(numberOverrides);
    }
  }

  /**
   * Only lets time pass: fires the timers that are due. It need not be logged: timers fire at
   * their own instants whenever time is next advanced, so replay reaches the same state.
   */
  public record Tick() implements Command<Void> {
    @Override
    public String orgId() {
      return "";
    }

    @Override
    public Void applyTo(Engine engine, long now) {
      engine.advance(now);
      return null;
    }
  }
}
