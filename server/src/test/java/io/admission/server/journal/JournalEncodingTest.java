package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.RandomHistories;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hot commands (Acquire, Release, Renew) are written field by field into the journal's
 * buffer; a journal written that way must hold exactly the bytes the protobuf messages give
 * ({@code JournalCodec.encode(...).toByteArray()} framed by {@link Records#write}), which is what
 * every earlier journal holds and what recovery reads.
 */
class JournalEncodingTest {
  private static final long T0 = 1_790_000_000_000L;

  @Test
  void theHotCommandsAreWrittenAsTheirProtobufMessagesWouldBe() throws Exception {
    List<Commands.Command<?>> commands = new ArrayList<>();
    for (CallType type : CallType.values()) {
      commands.add(new Commands.Acquire("org", "call", "agent", type, "login", "+15550001", 30_000, 5_000));
    }
    commands.add(new Commands.Acquire("", "", "", CallType.WEBCALL, "", "", 0, 0)); // defaults left out
    commands.add(new Commands.Acquire("o", "c", "", CallType.OUTBOUND, "", "", -1, Long.MIN_VALUE));
    commands.add(new Commands.Acquire("órg-ü", "📞-call", "agent-ß", CallType.CHAT, "λ", "+1", 1, 1));
    commands.add(new Commands.Acquire("org", "lone \uD800 surrogate", "", CallType.INBOUND, "", "", 0, 0));
    commands.add(new Commands.Acquire("org", "x".repeat(300), "y".repeat(20_000), CallType.OUTBOUND,
        "", "", Long.MAX_VALUE, 0)); // lengths of two and three varint bytes
    commands.add(new Commands.Release("org", "call"));
    commands.add(new Commands.Release("", ""));
    commands.add(new Commands.Renew("org", List.of("a", "", "c"), 0)); // empty elements are kept
    commands.add(new Commands.Renew("org", List.of(), 60_000));
    for (RandomHistories.Stamped s : new RandomHistories(11).next(3_000)) {
      commands.add(s.command());
    }
    Random random = new Random(3);
    int direct = 0;
    for (Commands.Command<?> command : commands) {
      for (long at : new long[] {T0 + random.nextInt(1_000_000), 0, -5}) {
        int size = JournalCodec.directSize(command, at);
        if (size < 0) {
          continue; // a rare command: written from its message, as before
        }
        direct++;
        byte[] payload = JournalCodec.encode(command, at).toByteArray();
        ByteBuffer old = ByteBuffer.allocate(Records.HEADER + payload.length);
        Records.write(old, payload);
        ByteBuffer now = ByteBuffer.allocate(Records.HEADER + size + 7);
        now.position(3); // not at the buffer's start, as in the journal's buffer
        JournalCodec.writeDirect(now, command, at, size);
        assertEquals(3 + Records.HEADER + size, now.position(), command.toString());
        assertArrayEquals(old.array(), Arrays.copyOfRange(now.array(), 3, now.position()),
            command + " at " + at);
      }
    }
    assertTrue(direct > 3_000, "the random histories hold mostly hot commands: " + direct);
  }
}
