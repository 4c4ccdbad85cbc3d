package io.admission.server.auth;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.SessionRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Access control for every gRPC call, in one place: who calls (the {@code authorization: Bearer}
 * metadata), what it asks for (the RPC, {@link #ACCESS}) and for which org (the {@code org_id} of
 * each request message, read from the message itself so that no service can forget it).
 *
 * <p>No or an unknown token: UNAUTHENTICATED. A token outside its role or org: PERMISSION_DENIED
 * with {@link AccessControl#PERMISSION_DENIED}, decided before any service or the loop sees the
 * request, so the answer is the same whether the other org or call exists. A stream is checked
 * message by message (a Session may name a new org in any request); a refused message ends the
 * stream. Health and reflection are open.
 *
 * <p>The caller's name for the audit log travels with the call as {@link #actor()}.
 */
public final class AccessInterceptor implements ServerInterceptor {
  private static final Context.Key<String> ACTOR = Context.keyWithDefault("admission-actor", "");
  private static final Context.Key<Caller> CALLER = Context.key("admission-caller");
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** What each RPC asks to do; an RPC not listed is admin only, a service not listed is admin only. */
  private static final Map<String, Access> ACCESS = Map.of(
      AdmissionAdminServiceGrpc.getGetOrgMethod().getFullMethodName(), Access.READ_ORG,
      AdmissionMonitorServiceGrpc.getGetOrgStatusMethod().getFullMethodName(), Access.MONITOR,
      AdmissionMonitorServiceGrpc.getWatchOrgMethod().getFullMethodName(), Access.MONITOR,
      AdmissionMonitorServiceGrpc.getListEventsMethod().getFullMethodName(), Access.MONITOR,
      AdmissionMonitorServiceGrpc.getGetClusterStatusMethod().getFullMethodName(), Access.CLUSTER);
  private static final Set<String> OPEN_SERVICES = Set.of(
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  private final AccessControl access;

  public AccessInterceptor(AccessControl access) {
    this.access = access;
  }

  /** Who sent the request being handled (for the audit log); empty without access control. */
  public static String actor() {
    return ACTOR.get();
  }

  /**
   * Who sent the request being handled — its role and name, equal for every call made with the
   * same token — or null without access control.
   */
  public static Caller caller() {
    return CALLER.get();
  }

  static Access accessOf(String fullMethodName) {
    String service = MethodDescriptor.extractFullServiceName(fullMethodName);
    if (OPEN_SERVICES.contains(service)) {
      return Access.OPEN;
    }
    if (AdmissionServiceGrpc.SERVICE_NAME.equals(service)) {
      return Access.CALLS;
    }
    return ACCESS.getOrDefault(fullMethodName, Access.ADMIN);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Access asked = accessOf(call.getMethodDescriptor().getFullMethodName());
    if (asked == Access.OPEN) {
      return next.startCall(call, headers);
    }
    Caller caller = access.caller(headers.get(AUTHORIZATION), certificateSubject(call));
    if (caller == null) {
      call.close(Status.UNAUTHENTICATED.withDescription(AccessControl.UNAUTHENTICATED), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (asked == Access.ADMIN && !asked.allows(caller.role(), "")) {
      call.close(Status.PERMISSION_DENIED.withDescription(AccessControl.PERMISSION_DENIED), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(ACTOR, caller.actor()).withValue(CALLER, caller);
    if (asked == Access.ADMIN || asked == Access.CLUSTER || caller.role() instanceof Role.Admin) {
      return Contexts.interceptCall(context, call, headers, next);
    }
    OnceClosed<Q, A> guarded = new OnceClosed<>(call);
    return new PerMessage<>(Contexts.interceptCall(context, guarded, headers, next), guarded,
        asked, caller.role());
  }

  /**
   * The org a request is for: its {@code org_id}, or that of the request a Session message
   * carries. Empty when it names none (which no org-scoped role is allowed).
   */
  static String orgOf(Object request) {
    if (!(request instanceof Message m)) {
      return "";
    }
    FieldDescriptor orgId = m.getDescriptorForType().findFieldByName("org_id");
    if (orgId != null && orgId.getJavaType() == FieldDescriptor.JavaType.STRING) {
      return (String) m.getField(orgId);
    }
    for (OneofDescriptor oneof : m.getDescriptorForType().getRealOneofs()) {
      FieldDescriptor set = m.getOneofFieldDescriptor(oneof);
      if (set != null && set.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        return orgOf(m.getField(set));
      }
    }
    return "";
  }

  /**
   * A Session's {@code open} names no org: it opens or resumes the caller's own session (resuming
   * checks that it is the caller's), so any role that makes calls may send it.
   */
  static boolean opensSession(Object message) {
    return message instanceof SessionRequest r && r.hasOpen();
  }

  private static String certificateSubject(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? x.getSubjectX500Principal().getName() : null;
    } catch (SSLPeerUnverifiedException e) {
      return null; // TLS without a client certificate
    }
  }

  /** Checks each request message before the service sees it; a refused one ends the call. */
  private static final class PerMessage<Q, A>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final OnceClosed<Q, A> call;
    private final Access asked;
    private final Role role;
    /** Set on the transport thread that delivers messages; read only there. */
    private boolean refused;

    PerMessage(ServerCall.Listener<Q> next, OnceClosed<Q, A> call, Access asked, Role role) {
      super(next);
      this.call = call;
      this.asked = asked;
      this.role = role;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      boolean allowed = opensSession(message)
          ? asked == Access.CALLS && role instanceof Role.Org // its own session: no org named
          : asked.allows(role, orgOf(message));
      if (!allowed) {
        refused = true;
        call.close(Status.PERMISSION_DENIED.withDescription(AccessControl.PERMISSION_DENIED),
            new Metadata());
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }
  }
}
