/** Prepared images across threads: what moves by transfer, and the way back. */
import { describe, expect, it } from "vitest";
import { FlorenceError } from "../errors.js";
import { fromWirePrepared, toWirePrepared, transferablesOf } from "./prepared-wire.js";

describe("prepared images on the wire", () => {
  const ready = (bytes: Uint8Array) => ({ originalSize: { width: 1, height: 1 }, resized: bytes });
  const whole = new Uint8Array(6);
  const shared = new Uint8Array(new ArrayBuffer(12), 6, 6);
  it.each<[string, Parameters<typeof toWirePrepared>[0], number]>([
    ["a whole buffer moves", [ready(whole)], 1],
    ["a view into a larger buffer is copied", [ready(shared)], 0],
    ["a failed image has nothing to move", [new FlorenceError("invalid_image", "bad")], 0],
    ["the same buffer twice moves once", [ready(whole), ready(whole)], 1],
  ])("%s", (_name, outcomes, transferred) => {
    expect(transferablesOf(toWirePrepared(outcomes))).toHaveLength(transferred);
  });

  it("keeps per-image errors and fails on a whole-call failure", () => {
    const back = fromWirePrepared(toWirePrepared([new FlorenceError("invalid_image", "images[0]: bad")]));
    expect(back[0]).toMatchObject({ kind: "invalid_image", message: "images[0]: bad" });
    expect(() => fromWirePrepared({ ok: false, error: new FlorenceError("internal", "x").toWire() })).toThrow(
      expect.objectContaining({ kind: "internal" }),
    );
  });
});
