package io.admission.server.journal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.proto.Record;
import io.admission.server.journal.proto.ReplicatedEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a cluster's replicated log and of its snapshots, in the journal's own format
 * (format 2 records and snapshots): what the cluster replicates is the engine's commands, never
 * the API's requests, exactly as the local journal keeps them.
 */
public final class ReplicatedEntries {
  private ReplicatedEntries() {}

  /** A decoded entry: its origin and proposal number, the leader's time, the commands in order. */
  public record Entry(String origin, long proposal, long stampedAt,
      List<Commands.Command<?>> commands, List<String> actors) {}

  /** A proposal: the entry without its time, which the leader appends ({@link #stamp}). */
  public static byte[] proposal(String origin, long proposal, List<? extends Commands.Command<?>> commands,
      List<String> actors) {
    ReplicatedEntry.Builder b = ReplicatedEntry.newBuilder().setOrigin(origin).setProposal(proposal);
    boolean anyActor = false;
    for (Commands.Command<?> c : commands) {
      // A Tick is a record without a command: the entry's time is all it carries.
      Record r = c instanceof Commands.Tick ? Record.getDefaultInstance() : JournalCodec.encode(c, 0);
      b.addCommands(r);
    }
    for (String a : actors) {
      anyActor |= !a.isEmpty();
    }
    if (anyActor) {
      b.addAllActors(actors);
    }
    return b.build().toByteArray();
  }

  /**
   * The bytes that stamp a proposal with the leader's time when appended to it: field 3 as a
   * fixed64. Parsing keeps the last value of a field, so the entry is stamped without decoding it.
   */
  public static byte[] stampOf(long stampedAt) {
    byte[] out = new byte[9];
    CodedOutputStream tail = CodedOutputStream.newInstance(out);
    try {
      tail.writeFixed64(ReplicatedEntry.STAMPED_AT_MILLIS_FIELD_NUMBER, stampedAt);
      tail.flush();
    } catch (IOException e) {
      throw new IllegalStateException("9 bytes always hold a fixed64 field", e);
    }
    return out;
  }

  /** Decodes a committed entry; an entry that does not decode can only come from damage or a newer server. */
  public static Entry decode(byte[] bytes) throws IOException {
    ReplicatedEntry e;
    try {
      e = ReplicatedEntry.parseFrom(bytes);
    } catch (InvalidProtocolBufferException ex) {
      throw new IOException("a replicated log entry does not parse: " + ex.getMessage(), ex);
    }
    List<Commands.Command<?>> commands = new ArrayList<>(e.getCommandsCount());
    for (Record r : e.getCommandsList()) {
      if (r.getCommandCase() == Record.CommandCase.COMMAND_NOT_SET) {
        commands.add(new Commands.Tick());
        continue;
      }
      try {
        commands.add(JournalCodec.decode(r));
      } catch (JournalCodec.Undecodable ex) {
        throw new IOException("a replicated log entry holds no command the engine knows: "
            + ex.getMessage(), ex);
      }
    }
    List<String> actors = e.getActorsCount() == 0
        ? java.util.Collections.nCopies(commands.size(), "") : e.getActorsList();
    return new Entry(e.getOrigin(), e.getProposal(), e.getStampedAtMillis(), commands, actors);
  }

  /**
   * Writes {@code snapshot} (format 2, streamed: see JournalCodec#writeSnapshot) to {@code out},
   * which the caller buffers; a part at a time, never the whole snapshot in memory.
   */
  public static void writeSnapshot(Snapshots.Taken snapshot, OutputStream out) throws IOException {
    JournalCodec.writeSnapshot(snapshot, 0, out);
  }

  /**
   * Reads a snapshot written by {@link #writeSnapshot} (or by a server before the streamed form)
   * into an engine filing ended calls under {@code idHashKey}, a part at a time.
   */
  public static Engine readSnapshot(InputStream in, IdHashKey idHashKey) throws IOException {
    try {
      return JournalCodec.readSnapshot(in, idHashKey).engine();
    } catch (JournalCodec.Undecodable | IllegalArgumentException e) {
      throw new IOException("the snapshot is not one this server can read: " + e.getMessage(), e);
    }
  }
}
