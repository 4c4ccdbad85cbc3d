package io.admission.server.api;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's bound on id length ({@code --max-id-bytes}), for both edges: each id of a request
 * message — org, call, agent and login ids and caller numbers, at any depth — is compared with the
 * bound, and the first one over it is refused naming its field and the flag. The API's own limit
 * (128 bytes) is checked by the request translation; this one is the operator's, tighter.
 *
 * <p>What it learns of a message type (which fields are ids) is kept, so a message costs a look
 * at its ids only. Safe on any thread.
 */
public final class IdLengths {
  /** The flag that sets the bound, as refusals name it. */
  public static final String FLAG = "--max-id-bytes";
  /** Ids are 1 to 128 bytes in the API: a bound can only be tighter. */
  public static final int API_MAX_BYTES = 128;
  /** The id fields of the API: every other string is something else (a time zone, a token). */
  private static final Set<String> IDS =
      Set.of("org_id", "call_id", "agent_id", "login_id", "from_number", "number", "call_ids");

  private final int maxBytes;
  private final Map<Descriptor, Plan> plans = new ConcurrentHashMap<>();

  public IdLengths(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Whether the bound is tighter than the API's own, so that checking it can refuse anything. */
  public boolean tighterThanApi() {
    return maxBytes < API_MAX_BYTES;
  }

  /** A message type's id fields and message fields, found once. */
  private record Plan(List<FieldDescriptor> ids, List<FieldDescriptor> messages) {}

  /** The refusal of a request whose id at {@code field} is over the bound. */
  public InvalidRequest refusal(String field) {
    return new InvalidRequest(field, "must be at most " + maxBytes + " bytes (server bound "
        + FLAG + ")");
  }

  /** Refuses {@code id}, named {@code field}, when it is over the bound. */
  public void check(String field, String id) throws InvalidRequest {
    if (tooLong(id)) {
      throw refusal(field);
    }
  }

  /** Refuses {@code m} at its first id over the bound, named by its path under {@code prefix}. */
  public void check(String prefix, Message m) throws InvalidRequest {
    String over = overBound(m, prefix);
    if (over != null) {
      throw refusal(over);
    }
  }

  /** The path of the first id over the bound in {@code m} ({@code acquire.login_id}), or null. */
  public String overBound(Message m) {
    return overBound(m, "");
  }

  private String overBound(Message m, String prefix) {
    Plan plan = plans.computeIfAbsent(m.getDescriptorForType(), IdLengths::plan);
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
