package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The footprint counts what the engine keeps for each item: a lease or a held call is a call
 * record with its id (a 36-character string) and a table entry, so well over 100 bytes, and the
 * target is 300. Nothing measured, or garbage counted, would land far outside.
 */
class HeapFootprintTest {
  @Test
  void aLeaseAndAHeldCallCostWhatTheEngineKeepsForThem() {
    double lease = HeapFootprint.bytesPer(HeapFootprint.Kind.lease, 50_000);
    double held = HeapFootprint.bytesPer(HeapFootprint.Kind.held, 50_000);
    assertTrue(lease > 100 && lease < 1_000, "bytes per lease: " + lease);
    assertTrue(held > 100 && held < 1_000, "bytes per held call: " + held);
  }
}
