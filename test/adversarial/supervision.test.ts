/**
 * Worker supervision on the real engine (tiny fixture, one worker thread): a worker that dies while
 * its replacement cannot start (the model folder went away) is retried with backoff, not in a
 * tight loop; meanwhile health is NOT_SERVING, calls get UNAVAILABLE at once and ListModels counts
 * the restarts; once the files are back a replacement starts and the server serves again.
 *
 * The worker is killed from outside through the engine's `spawn` option, which hands this test the
 * Worker objects: fault injection without a hook in the worker itself.
 */
import { cpSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Worker } from "node:worker_threads";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { makeEngineOptions } from "../../models/engine-options.js";
import { backoffDelay, spawnWorker } from "../../models/worker/supervision.js";
import { createWorkerEngine } from "../../models/worker/worker-host.js";
import type { LogEntry } from "../../server/logger.js";
import type { FlorenceServer } from "../../server/server.js";
import { createFlorenceServer } from "../../server/server.js";

const FIXTURE = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);

describe("backoffDelay", () => {
  it.each([
    [0, 100],
    [1, 200],
    [5, 3200],
    [9, 30_000],
    [1000, 30_000],
  ])("after %i failures waits %i ms (100 ms doubling, at most 30 s)", (failures, ms) => {
    expect(backoffDelay(failures, { initialBackoffMs: 100, maxBackoffMs: 30_000 })).toBe(ms);
  });
});

describe("a dead worker whose replacement cannot start", () => {
  let dir: string;
  let model: string;
  let server: FlorenceServer;
  let url: string;
  const spawned: Worker[] = [];
  const logs: LogEntry[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "florence-supervision-"));
    model = join(dir, "tiny");
    cpSync(FIXTURE, model, { recursive: true });
    const { onDownloadProgress: _progress, ...options } = makeEngineOptions({ model });
    const engine = await createWorkerEngine({ options: { ...options, model, modelId: model } }, 1, {
      initialBackoffMs: 200,
      maxBackoffMs: 800,
      spawn: (init) => {
        const worker = spawnWorker(init);
        spawned.push(worker);
        return worker;
      },
    });
    server = createFlorenceServer({ engine, host: "127.0.0.1", port: 0, logger: (e) => logs.push(e) });
    await server.ready;
    url = (await server.listen()).url;
  });

  afterAll(async () => {
    await server?.close({ graceMs: 1000 });
    rmSync(dir, { recursive: true, force: true });
  });

  const transport = () => createGrpcTransport({ baseUrl: url });
  const health = async () => (await createClient(Health, transport()).check({ service: "" })).status;
  const stats = async () => (await createClient(ModelService, transport()).listModels({})).models[0]?.stats;
  const caption = async (image: Uint8Array) =>
    createClient(FlorenceService, transport()).captionImage(
      { images: [{ source: { case: "encoded", value: image } }], options: { maxNewTokens: 4 } },
      { timeoutMs: 30_000 },
    );
  async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it("backs off instead of looping, is NOT_SERVING and answers UNAVAILABLE at once, then recovers", async () => {
    const image = await readFile(new URL("coffee.jpg", IMAGES));
    expect(await health()).toBe(ServingStatus.SERVING);
    expect((await caption(image)).results).toHaveLength(1);

    renameSync(model, `${model}.gone`);
    await spawned[0]?.terminate();
    await waitFor("NOT_SERVING", async () => (await health()) === ServingStatus.NOT_SERVING, 5000);

    // Calls fail at once with UNAVAILABLE (well inside a 2-second deadline), not after a model pass.
    const started = performance.now();
    const error = await caption(image).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unavailable);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error?.rawMessage).not.toContain(dir); // the failed start names model files; the client never sees them

    // Over 3 s, the replacement is retried (backoff 200, 400, 800, 800 ms, plus each failed start),
    // a handful of times: a tight loop would start dozens of threads.
    const before = spawned.length;
    await sleep(3000);
    const attempts = spawned.length - before;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(5);
    const down = await stats();
    expect(down?.workersAvailable).toBe(0);
    expect(Number(down?.workerRestarts)).toBe(spawned.length - 1);
    expect(await health()).toBe(ServingStatus.NOT_SERVING);
    expect(logs.some((l) => l.level === "error" && l.msg.startsWith("no inference worker can run"))).toBe(true);

    // The files come back: the next attempt (at most 800 ms later) starts, and the server serves.
    renameSync(`${model}.gone`, model);
    await waitFor("SERVING again", async () => (await health()) === ServingStatus.SERVING, 15_000);
    expect((await caption(image)).results).toHaveLength(1);
    const up = await stats();
    expect(up?.workersAvailable).toBe(1);
    expect(Number(up?.workerRestarts)).toBeGreaterThanOrEqual(2);
  });
});
