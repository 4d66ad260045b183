/**
 * Prepared images across threads. A resized image is 1.7 MB (768x768 RGB): it moves by transfer
 * (the buffer changes owner, nothing is copied), from the preprocessing thread to the main thread
 * and on to the inference worker.
 */
import { FlorenceError, toFlorenceError } from "../errors.js";
import type { PreparedOutcome } from "../stages/images.js";
import type { WirePreparedImages, WirePreparedOutcome } from "./protocol.js";

export function toWirePrepared(outcomes: readonly PreparedOutcome[]): WirePreparedImages {
  return {
    ok: true,
    images: outcomes.map((o): WirePreparedOutcome => (o instanceof FlorenceError ? { error: o.toWire() } : o)),
  };
}

/** A failure of the whole preparation (not of one image): it fails the call. */
export function wirePreparationFailure(e: unknown): WirePreparedImages {
  return { ok: false, error: toFlorenceError(e).toWire() };
}

/** The outcomes back as the pipeline reads them; throws the failure of a failed preparation. */
export function fromWirePrepared(wire: WirePreparedImages): PreparedOutcome[] {
  if (!wire.ok) throw FlorenceError.fromWire(wire.error);
  return wire.images.map((o) => ("error" in o ? FlorenceError.fromWire(o.error) : o));
}

/**
 * The buffers a message may hand over instead of copying: each resized image's whole buffer. A
 * view into a larger or shared buffer is left to be copied, since transferring would take the rest
 * of that buffer from its owner.
 */
export function transferablesOf(wire: WirePreparedImages): ArrayBuffer[] {
  if (!wire.ok) return [];
  const buffers = new Set<ArrayBuffer>();
  for (const o of wire.images) {
    if ("error" in o) continue;
    const { buffer, byteOffset, byteLength } = o.resized;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}
