/**
 * Skipping unchanged frames over the wire on the real engine (tiny random-weight fixture): the
 * typed client streams a still scene with sensor noise, then a cut. The engine's own counters
 * (vision passes) show the model ran on two frames; every other answer carries the result of the
 * last frame that ran, with `reusedFrom` naming it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFlorenceClient, type FrameAnswer, type FrameInput } from "../../client/index.js";
import type { StreamConfig } from "../../client/inputs.js";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { sceneFrame } from "./scenes.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;

let florence: Florence;
let server: FlorenceServer;
let url: string;

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, port: 0, logger: silentLogger });
  url = (await server.listen()).url;
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

function* video(): Generator<FrameInput> {
  for (let i = 0; i < 12; i++) {
    const f = sceneFrame(i < 6 ? "desk" : "street", { seed: i + 1 });
    yield { frameId: 100 + i, image: { width: f.width, height: f.height, format: "rgb", data: f.data } };
  }
}

it("a still scene then a cut runs the tiny model on two of 12 frames; the rest reuse, named by frame id", async () => {
  const client = createFlorenceClient({ baseUrl: url, protocol: "grpc" });
  const config: StreamConfig = {
    task: { task: "caption" },
    options: { maxNewTokens: 4, numBeams: 1 },
    changeThreshold: 0.02,
  };
  const before = await florence.stats();
  const answers: FrameAnswer[] = [];
  for await (const a of client.streamFrames(video(), config)) answers.push(a);
  const after = await florence.stats();

  expect(after.visionImages - before.visionImages).toBe(2);
  expect(answers.map((a) => a.frameId)).toEqual([...Array(12).keys()].map((i) => 100 + i));
  expect(answers.every((a) => a.kind === "result")).toBe(true);
  const from = answers.map((a) => (a.kind === "result" ? (a.reusedFrom?.frameId ?? "ran") : a.kind));
  expect(from).toEqual(["ran", 100, 100, 100, 100, 100, "ran", 106, 106, 106, 106, 106]);
  const first = answers[0];
  const sixth = answers[5];
  if (first?.kind !== "result" || sixth?.kind !== "result") throw new Error("expected results");
  expect(sixth.result).toEqual(first.result);
  expect(sixth.reusedFrom?.difference).toBeLessThan(0.02);
  expect(first.timings.modelMs).toBeGreaterThan(0);
  expect(sixth.timings.modelMs).toBe(0);
});
