package io.admission.client;

/** A call's identity: {@code call_id} is unique within its org. */
record CallKey(String orgId, String callId) {}
