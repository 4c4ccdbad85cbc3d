package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The footprint counts what the engine keeps for each item: a lease or a held call is a call
 * record with its id (a 36-character string) and a table entry, so well over 200 bytes; the
 * target is 300 at a million (275 measured, docs/BENCHMARKS.md). At 50,000 the tables' fixed
 * costs weigh a little more: 294 bytes measured for either. A call that grew by 30 bytes (a few
 * fields, or one more object per call) crosses the upper bound; nothing measured,
 * or garbage counted, lands below the lower.
 */
class HeapFootprintTest {
  @Test
  void aLeaseAndAHeldCallCostWhatTheEngineKeepsForThem() {
    double lease = HeapFootprint.bytesPer(HeapFootprint.Kind.lease, 50_000);
    double held = HeapFootprint.bytesPer(HeapFootprint.Kind.held, 50_000);
    assertTrue(lease > 200 && lease < 320, "bytes per lease: " + lease);
    assertTrue(held > 200 && held < 320, "bytes per held call: " + held);
  }
}
