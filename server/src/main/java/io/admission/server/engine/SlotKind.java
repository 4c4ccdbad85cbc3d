package io.admission.server.engine;

/** Which part of the pool a grant took, by count at the moment of the grant. */
public enum SlotKind {
  RESERVED,
  SHARED
}
