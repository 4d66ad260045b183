/**
 * Two real models in one server: two copies of the tiny fixture under different names, loaded the
 * way `florence2 serve --model a=DIR --model b=DIR` loads them (cli/load-engine.ts modelSources),
 * under a --model-memory-mb budget that holds one of them. Each request is answered by its model
 * (ListModels' per-model stats count its images), the other is unloaded and loaded again (counted),
 * and the answers equal those of an engine made directly from the fixture.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelFileBytes, modelSources } from "../../cli/load-engine.js";
import { createFlorenceClient, type FlorenceClient } from "../../client/index.js";
import { createFlorence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";

const FIXTURE = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
const SMALL = { maxNewTokens: 8, numBeams: 1 } as const;
const MIB = 1024 * 1024;

let dir: string;
let server: FlorenceServer;
let client: FlorenceClient;
let image: Uint8Array;
let oneModelMb: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "florence-two-models-"));
  for (const name of ["tiny-a", "tiny-b"]) cpSync(FIXTURE, join(dir, name), { recursive: true });
  image = await readFile(IMAGE);
  const bytes = modelFileBytes({ path: FIXTURE, dtype: "fp32" }, 1);
  // Room for one model and a half: loading the second unloads the idle first one.
  oneModelMb = Math.ceil((bytes * 1.5) / MIB);
  const models = modelSources(
    [
      { name: "a", source: join(dir, "tiny-a") },
      { name: "b", source: join(dir, "tiny-b") },
    ],
    { create: (source) => createFlorence({ model: source, workers: 1 }), workers: 1, retry: {} },
  );
  server = createFlorenceServer({ models, port: 0, logger: silentLogger, modelMemoryMb: oneModelMb });
  const { url } = await server.listen();
  client = createFlorenceClient({ baseUrl: url, retry: false });
  expect(await server.ready).toBe(true);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("two tiny models in one server, one fitting the memory budget", () => {
  it("counts a model's graph files at the chosen precision, times its workers", () => {
    const one = modelFileBytes({ path: FIXTURE, dtype: "fp32" }, 1);
    expect(one).toBeGreaterThan(MIB);
    expect(modelFileBytes({ path: FIXTURE, dtype: "fp32" }, 2)).toBe(2 * one);
    expect(modelFileBytes({ path: FIXTURE, dtype: "fp16" }, 1)).toBeLessThan(one);
    expect(modelFileBytes({ path: join(FIXTURE, "no-such-folder"), dtype: "fp32" }, 1)).toBe(0);
  });

  it("routes each request to its model, unloading the idle one, with the answers of the fixture", async () => {
    const direct = await createFlorence({ model: FIXTURE, workers: 1 });
    try {
      const want = await direct.run({ task: "caption" }, [image], SMALL);
      expect(want[0]?.kind).toBe("text");
      const onA = await client.captionImage(image, { ...SMALL, model: "a" });
      const onB = await client.captionImage(image, { ...SMALL, model: "b" });
      const wantText = want[0]?.kind === "text" ? want[0].text : undefined;
      expect(onA[0]?.text).toBe(wantText);
      expect(onB[0]?.text).toBe(wantText);
    } finally {
      await direct.close();
    }
    let list = await client.listServedModels();
    expect(list.models.map((m) => [m.name, m.state, m.loads, m.unloads])).toEqual([
      ["a", "unloaded", 1, 1],
      ["b", "loaded", 1, 0],
    ]);
    expect(list.models[1]?.stats?.visionImages).toBe(1);
    await client.captionImage([image, image], { ...SMALL, model: "a" });
    list = await client.listServedModels();
    expect(list.models.map((m) => [m.name, m.state, m.loads, m.unloads])).toEqual([
      ["a", "loaded", 2, 1],
      ["b", "unloaded", 1, 1],
    ]);
    // The reloaded model's counters start again: this call's one batch of two items (the same
    // image twice, encoded once), none of b's and none of a's first life.
    expect(list.models[0]?.stats).toMatchObject({ batches: 1, batchedItems: 2, visionImages: 1 });
  });
});
