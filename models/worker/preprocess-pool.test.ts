/**
 * The preprocessing threads: what they answer equals preparing on the calling thread, byte for
 * byte; a cancelled call is answered at once; a thread that dies fails only its own calls and is
 * replaced; a closed pool refuses. Real threads (the preprocess-main entry through tsx).
 */
import { readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { FlorenceError } from "../errors.js";
import type { ImageInput } from "../inputs.js";
import { prepareImageOutcomes } from "../stages/images.js";
import { fromWirePrepared } from "./prepared-wire.js";
import { PreprocessPool, type PreprocessTarget } from "./preprocess-pool.js";
import { spawnPreprocessThread } from "./supervision.js";

const image = (name: string) => readFile(new URL(`../../test/fixtures/images/${name}`, import.meta.url));
const raw = (width: number, height: number): ImageInput => ({
  kind: "raw",
  format: "rgb",
  width,
  height,
  data: new Uint8Array(width * height * 3).map((_, i) => (i * 37) & 255),
});
const TARGET: PreprocessTarget = {
  size: { width: 64, height: 48 },
  limits: { maxPixels: 10_000_000, maxBytes: 1 << 24 },
};

const pools: PreprocessPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(threads = 1, spawn: () => Worker = spawnPreprocessThread, target = TARGET): PreprocessPool {
  const p = new PreprocessPool(threads, target, spawn);
  pools.push(p);
  return p;
}

describe("PreprocessPool", () => {
  it.each<[string, () => Promise<ImageInput[]>]>([
    ["a JPEG", async () => [await image("coffee.jpg")]],
    [
      "an EXIF-rotated JPEG and a gray PNG",
      async () => [await image("rocket_exif6.jpg"), await image("camera_gray.png")],
    ],
    ["raw pixels", async () => [raw(7, 5)]],
    ["a corrupt image among good ones", async () => [raw(3, 2), Uint8Array.of(0xff, 0xd8, 0xff, 1, 2), raw(2, 2)]],
    ["an image over the pixel limit", async () => [raw(1001, 1000)]],
  ])("answers %s exactly as preparing on this thread", async (_name, inputs) => {
    const images = await inputs();
    const limits = { ...TARGET.limits, maxPixels: 1_000_000 };
    const here = await prepareImageOutcomes(images, { size: TARGET.size }, limits);
    const there = fromWirePrepared(await pool(1, spawnPreprocessThread, { ...TARGET, limits }).prepare(images));
    expect(there).toHaveLength(here.length);
    there.forEach((o, i) => {
      const mine = here[i]!;
      if (mine instanceof FlorenceError) {
        expect(o).toBeInstanceOf(FlorenceError);
        expect((o as FlorenceError).kind).toBe(mine.kind);
        expect((o as FlorenceError).message).toBe(mine.message);
      } else {
        expect(o).not.toBeInstanceOf(FlorenceError);
        expect(o).toEqual(mine);
      }
    });
  });

  it("answers a call whose caller gave up with cancelled, at once", async () => {
    const p = pool();
    const controller = new AbortController();
    const slow = p.prepare([raw(1500, 1000)], controller.signal);
    controller.abort();
    expect(fromWirePrepared.bind(null, await slow)).toThrow(expect.objectContaining({ kind: "cancelled" }));
    expect(fromWirePrepared.bind(null, await p.prepare([raw(2, 2)], AbortSignal.abort()))).toThrow(
      expect.objectContaining({ kind: "cancelled" }),
    );
    // The thread still serves the next call.
    expect(fromWirePrepared(await p.prepare([raw(2, 2)]))[0]).toMatchObject({ originalSize: { width: 2, height: 2 } });
  });

  it("fails the calls of a thread that died with internal, and starts a new one for the next call", async () => {
    const spawned: Worker[] = [];
    // The first thread never answers and exits when told to prepare: a crash mid-call.
    const crashing = () =>
      new Worker('require("node:worker_threads").parentPort.on("message", () => process.exit(7));', { eval: true });
    const p = pool(1, () => {
      const worker = spawned.length === 0 ? crashing() : spawnPreprocessThread();
      spawned.push(worker);
      return worker;
    });
    const lost = await p.prepare([raw(2, 2)]);
    expect(lost.ok).toBe(false);
    expect(fromWirePrepared.bind(null, lost)).toThrow(
      expect.objectContaining({ kind: "internal", message: expect.stringMatching(/preprocessing thread stopped/) }),
    );
    const next = fromWirePrepared(await p.prepare([raw(2, 2)]));
    expect(next[0]).toMatchObject({ originalSize: { width: 2, height: 2 } });
    expect(spawned).toHaveLength(2);
  });

  it("spreads calls over its threads and refuses after close", async () => {
    const spawned: Worker[] = [];
    const p = pool(2, () => {
      const worker = spawnPreprocessThread();
      spawned.push(worker);
      return worker;
    });
    const answers = await Promise.all([p.prepare([raw(300, 200)]), p.prepare([raw(300, 200)])]);
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(spawned).toHaveLength(2);
    await p.close();
    expect(fromWirePrepared.bind(null, await p.prepare([raw(2, 2)]))).toThrow(
      expect.objectContaining({ kind: "unavailable" }),
    );
  });
});
