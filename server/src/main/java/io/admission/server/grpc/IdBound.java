package io.admission.server.grpc;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's bound on id length ({@code --max-id-bytes}), when the operator sets it below the
 * 128 bytes every id may have: each id of each request message — org, call, agent and login ids
 * and caller numbers, in requests and in a Session's requests alike — is checked before any
 * service sees it, and the first one over the bound is INVALID_ARGUMENT naming the field and the
 * bound. Only installed when the bound is lower than the API's own limit, which the request
 * translation already checks. A Session stream is not ended for one bad request: there the
 * bound rides in the call's {@link Context} ({@link #current}) and the session answers that
 * request with the error, as it answers any refused request.
 *
 * <p>Runs on the transport thread that delivers the message; what it learns of a message type
 * (which fields are ids) is kept, so a message costs a look at its ids only.
 */
public final class IdBound implements ServerInterceptor {
  /** The flag that sets the bound, as refusals name it. */
  public static final String FLAG = "--max-id-bytes";
  /** The id fields of the API: every other string is something else (a time zone, a token). */
  private static final Set<String> IDS =
      Set.of("org_id", "call_id", "agent_id", "login_id", "from_number", "number", "call_ids");

  private final int maxBytes;
  private final Map<Descriptor, Plan> plans = new ConcurrentHashMap<>();

  public IdBound(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** A message type's id fields and message fields, found once. */
  private record Plan(List<FieldDescriptor> ids, List<FieldDescriptor> messages) {}

  private static final Context.Key<IdBound> KEY = Context.key("admission-id-bound");

  /** The bound of the call being served, or null when there is none beyond the API's. */
  static IdBound current() {
    return KEY.get();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
      return Contexts.interceptCall(Context.current().withValue(KEY, this), call, headers, next);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
        next.startCall(call, headers)) {
      /** Set once a message was refused: the call is closed, and the service hears no more. */
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        String over = message instanceof Message m ? overBound(m, "") : null;
        if (over == null) {
          super.onMessage(message);
          return;
        }
        refused = true;
        StatusRuntimeException e = refusal(over);
        call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
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
    };
  }

  /** The refusal of a request whose id at {@code field} is over the bound. */
  StatusRuntimeException refusal(String field) {
    return StatusMapper.invalid(field, "must be at most " + maxBytes + " bytes (server bound "
        + FLAG + ")");
  }

  /** The path of the first id over the bound in {@code m}, or null. */
  String overBound(Message m) {
    return overBound(m, "");
  }

  /** The path of the first id over the bound ({@code acquire.login_id}, {@code call_ids[2]}). */
  private String overBound(Message m, String prefix) {
    Plan plan = plans.computeIfAbsent(m.getDescriptorForType(), IdBound::plan);
    for (FieldDescriptor f : plan.ids()) {
      if (f.isRepeated()) {
        for (int i = 0, n = m.getRepeatedFieldCount(f); i < n; i++) {
          if (tooLong((String) m.getRepeatedField(f, i))) {
            return prefix + f.getName() + "[" + i + "]";
          }
        }
      } else if (tooLong((String) m.getField(f))) {
        return prefix + f.getName();
      }
    }
    for (FieldDescriptor f : plan.messages()) {
      if (f.isRepeated()) {
        for (int i = 0, n = m.getRepeatedFieldCount(f); i < n; i++) {
          String over = overBound((Message) m.getRepeatedField(f, i),
              prefix + f.getName() + "[" + i + "].");
          if (over != null) {
            return over;
          }
        }
      } else if (m.hasField(f)) {
        String over = overBound((Message) m.getField(f), prefix + f.getName() + ".");
        if (over != null) {
          return over;
        }
      }
    }
    return null;
  }

  private boolean tooLong(String id) {
    // Characters first: no encoding for the usual short id.
    return id.length() > maxBytes
        || (id.length() * 3 > maxBytes && id.getBytes(StandardCharsets.UTF_8).length > maxBytes);
  }

  private static Plan plan(Descriptor d) {
    List<FieldDescriptor> ids = new ArrayList<>();
    List<FieldDescriptor> messages = new ArrayList<>();
    for (FieldDescriptor f : d.getFields()) {
      if (f.getJavaType() == FieldDescriptor.JavaType.STRING && IDS.contains(f.getName())) {
        ids.add(f);
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && f.getMessageType().getFile().getPackage().equals(d.getFile().getPackage())) {
        messages.add(f); // the API's own messages: not Durations, not field masks
      }
    }
    return new Plan(List.copyOf(ids), List.copyOf(messages));
  }
}
