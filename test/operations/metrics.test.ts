/**
 * GET /metrics on a real server (HTTP/1.1 and h2 on the serving port, and the separate metrics
 * port): after a known set of calls the request counts, the in-flight and queue gauges, the
 * generated tokens, the stream frame outcomes and the engine counters mirrored from stats() have
 * the values those calls imply (durations are only checked for their count).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { BackpressureMode } from "../../gen/florence/v1/frames_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { BatchScheduler } from "../../models/scheduler/batch-scheduler.js";
import { silentLogger } from "../../server/logger.js";
import { createFlorenceServer } from "../../server/server.js";
import { client, rawImage, startTestServer } from "../server/harness.js";
import { get11, getH2, ReportingEngine, samples } from "./support.js";

const CAPTION = "florence.v1.FlorenceService/CaptionImage";

describe("GET /metrics", () => {
  it("counts calls by method and code, tokens, frames and the engine's counters", async () => {
    const fake = new ReportingEngine();
    const s = await startTestServer({ fake });
    try {
      const c = client(FlorenceService, s.url);
      await c.captionImage({ images: [rawImage(4, 4)] });
      await c.captionImage({ images: [rawImage(4, 4), rawImage(5, 5)] });
      await expect(c.captionImage({ images: [] })).rejects.toSatisfy(
        (e) => ConnectError.from(e).code === Code.InvalidArgument,
      );
      const frames = async function* () {
        yield {
          message: {
            case: "config" as const,
            value: { task: { task: Task.CAPTION }, backpressure: BackpressureMode.QUEUE },
          },
        };
        for (const id of [1, 2])
          yield { message: { case: "frame" as const, value: { frameId: BigInt(id), image: rawImage(3, 3) } } };
      };
      for await (const _ of c.streamFrames(frames())) {
        // drain the answers
      }

      const scraped = await get11(s.url, "/metrics");
      expect(scraped.status).toBe(200);
      expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      const m = samples(scraped.body);
      expect(m.get(`florence2_requests_total{method="${CAPTION}",code="ok"}`)).toBe(2);
      expect(m.get(`florence2_requests_total{method="${CAPTION}",code="invalid_argument"}`)).toBe(1);
      expect(m.get(`florence2_requests_total{method="florence.v1.FlorenceService/StreamFrames",code="ok"}`)).toBe(1);
      expect(m.get(`florence2_request_duration_seconds_count{method="${CAPTION}"}`)).toBe(3);
      expect(m.get("florence2_inflight_requests")).toBe(0);
      expect(m.get("florence2_queue_depth")).toBe(0);
      // The fake answers image i with 3 + i tokens: 3, then 3 + 4, then one per frame: 3 + 3.
      expect(m.get("florence2_generated_tokens_total")).toBe(3 + 7 + 6);
      expect(m.get('florence2_stream_frames_total{outcome="result"}')).toBe(2);
      expect(m.get('florence2_stream_frames_total{outcome="skipped"}')).toBe(0);
      expect(m.get('florence2_stream_frames_total{outcome="error"}')).toBe(0);
      expect(m.get("florence2_decoder_steps_total")).toBe(17);
      expect(m.get("florence2_vision_cache_hits_total")).toBe(7);
      expect(m.get("florence2_vision_cache_misses_total")).toBe(5);
      expect(m.get("florence2_worker_restarts_total")).toBe(1);
      expect(m.get("florence2_engine_queued_items")).toBe(2);
      expect(m.get("florence2_batch_size_count")).toBe(4);
      expect(m.get('florence2_batch_size_bucket{le="1"}')).toBe(3);
      expect(m.get('florence2_batch_size_bucket{le="4"}')).toBe(4);
      expect(m.get("florence2_model_load_seconds")).toBeGreaterThanOrEqual(0);
      expect(m.has("process_cpu_user_seconds_total")).toBe(true);
      expect(m.has("nodejs_heap_size_used_bytes")).toBe(true);

      // Engine counters follow the engine; a sum that drops (a replaced worker) never makes a counter go down.
      fake.stats_ = {
        ...fake.stats_,
        decoderSteps: 20,
        visionCache: { ...fake.stats_.visionCache, hits: 2 },
        batchSizes: { 1: 3, 3: 1, 8: 2 },
      };
      const again = samples((await getH2(s.url, "/metrics")).body);
      expect(again.get("florence2_decoder_steps_total")).toBe(20);
      expect(again.get("florence2_vision_cache_hits_total")).toBe(7);
      expect(again.get("florence2_batch_size_count")).toBe(6);
      expect(again.get('florence2_batch_size_bucket{le="4"}')).toBe(4);
      expect(again.get('florence2_batch_size_bucket{le="8"}')).toBe(6);
      fake.stats_ = { ...fake.stats_, visionCache: { ...fake.stats_.visionCache, hits: 5 } };
      expect(samples((await get11(s.url, "/metrics")).body).get("florence2_vision_cache_hits_total")).toBe(10);
    } finally {
      await s.server.close();
    }
  });

  it("counts an open stream's frames before it ends", async () => {
    const s = await startTestServer({ fake: new ReportingEngine() });
    try {
      const c = client(FlorenceService, s.url);
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const frames = async function* () {
        yield {
          message: {
            case: "config" as const,
            value: { task: { task: Task.CAPTION }, backpressure: BackpressureMode.QUEUE },
          },
        };
        yield { message: { case: "frame" as const, value: { frameId: 1n, image: rawImage(3, 3) } } };
        await held;
      };
      const answers = c.streamFrames(frames())[Symbol.asyncIterator]();
      await answers.next();
      const m = samples((await get11(s.url, "/metrics")).body);
      expect(m.get('florence2_stream_frames_total{outcome="result"}')).toBe(1);
      expect(m.get("florence2_inflight_requests")).toBe(1);
      release();
      while (!(await answers.next()).done) {
        // drain
      }
      const after = samples((await get11(s.url, "/metrics")).body);
      expect(after.get('florence2_stream_frames_total{outcome="result"}')).toBe(1);
      expect(after.get("florence2_inflight_requests")).toBe(0);
    } finally {
      await s.server.close();
    }
  });

  it("serves the same endpoints on --metrics-port, and nothing else there", async () => {
    const server = createFlorenceServer({
      engine: new ReportingEngine(),
      logger: silentLogger,
      host: "127.0.0.1",
      port: 0,
      metricsPort: 0,
    });
    const address = await server.listen();
    const base = `http://127.0.0.1:${address.metricsPort}`;
    try {
      await server.ready;
      await client(FlorenceService, address.url).captionImage({ images: [rawImage(4, 4)] });
      expect(address.metricsPort).toBeGreaterThan(0);
      const m = samples((await get11(base, "/metrics")).body);
      expect(m.get(`florence2_requests_total{method="${CAPTION}",code="ok"}`)).toBe(1);
      expect((await get11(base, "/readyz")).status).toBe(200);
      expect((await get11(base, "/florence.v1.FlorenceService/CaptionImage")).status).toBe(404);
      expect((await get11(base, "/metrics", "POST")).status).toBe(405);
    } finally {
      await server.close();
    }
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });
});

describe("BatchScheduler.getBatchSizes", () => {
  it("counts batches by their decoder rows", async () => {
    const scheduler = new BatchScheduler<string, string>(async (items) => items.map((value) => ({ ok: true, value })), {
      maxBatchSize: 4,
      maxDelayMs: 5,
    });
    await Promise.all([scheduler.submit("a", { rows: 3 }), scheduler.submit("b")]);
    await scheduler.submit("c");
    expect(scheduler.getBatchSizes()).toEqual({ 4: 1, 1: 1 });
  });
});
