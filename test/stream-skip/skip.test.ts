/**
 * StreamConfig.change_threshold end to end on a real server around the FakeEngine: a still scene
 * with sensor noise runs the model once, a cut runs it again on the cut's frame, threshold off
 * runs every frame, and every reused answer names the last inferred frame and carries its result.
 * Engine calls are counted by the fake, per-stream counts by the call's log line and /metrics.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import {
  BackpressureMode,
  type StreamFramesRequestSchema,
  type StreamFramesResponse,
} from "../../gen/florence/v1/frames_pb.js";
import { PixelFormat } from "../../gen/florence/v1/image_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { get11, samples } from "../operations/support.js";
import { client, startTestServer, type TransportName } from "../server/harness.js";
import { FakeEngine } from "../support/fake-engine.js";
import { type SceneFrame, type SceneName, sceneFrame } from "./scenes.js";

type RequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;

const config = (init: Record<string, unknown> = {}): RequestInit => ({
  message: { case: "config", value: { task: { task: Task.CAPTION }, ...init } },
});

const raw = (f: SceneFrame) => ({
  source: {
    case: "raw" as const,
    value: { width: f.width, height: f.height, format: PixelFormat.RGB, data: f.data },
  },
});

const frame = (id: number, image: ReturnType<typeof raw>, init: Record<string, unknown> = {}): RequestInit => ({
  message: { case: "frame", value: { frameId: BigInt(id), timestampUs: BigInt(id * 33_333), image, ...init } },
});

/** `count` noisy frames of `scene` (each with its own noise), ids from `firstId`. */
const clip = (scene: SceneName, count: number, firstId = 0): RequestInit[] =>
  Array.from({ length: count }, (_, i) => frame(firstId + i, raw(sceneFrame(scene, { seed: firstId + i + 1 }))));

async function* messages(list: readonly RequestInit[]): AsyncGenerator<RequestInit> {
  yield* list;
}

async function stream(url: string, list: readonly RequestInit[], transport: TransportName = "grpc") {
  const answers: StreamFramesResponse[] = [];
  for await (const a of client(FlorenceService, url, transport).streamFrames(messages(list))) answers.push(a);
  return answers;
}

/** For each answer: the frame id it reuses, or "ran" for a frame that ran. */
const provenance = (answers: readonly StreamFramesResponse[]) =>
  answers.map((a) => (a.reused === undefined ? "ran" : Number(a.reused.frameId)));

const withServer = async (
  fake: FakeEngine,
  body: (s: Awaited<ReturnType<typeof startTestServer>>) => Promise<void>,
) => {
  const s = await startTestServer({ fake });
  try {
    await body(s);
  } finally {
    await s.server.close({ graceMs: 1000 });
  }
};

describe.each(["grpc", "connect h2"] as TransportName[])("skipping unchanged frames over %s", (transport) => {
  it("a 30-frame still scene with sensor noise runs the model on its first frame only", async () => {
    await withServer(new FakeEngine(), async (s) => {
      const answers = await stream(s.url, [config({ changeThreshold: 0.02 }), ...clip("desk", 30)], transport);
      expect(answers.map((a) => Number(a.frameId))).toEqual([...Array(30).keys()]);
      expect(s.engine.calls).toHaveLength(1);
      expect(provenance(answers)).toEqual(["ran", ...Array(29).fill(0)]);
      const first = answers[0]!;
      for (const a of answers.slice(1)) {
        expect(a.outcome).toEqual(first.outcome); // frame 0's result, bit for bit
        expect(a.reused?.difference).toBeGreaterThan(0); // the noise is seen, and tolerated
        expect(a.reused?.difference).toBeLessThan(0.02);
        expect(a.timings?.modelMs).toBe(0);
        expect(a.timestampUs).toBe(a.frameId * 33_333n); // its own ids, not frame 0's
      }
    });
  });

  it("a cut runs the model again on the cut's frame, and later frames reuse that one", async () => {
    await withServer(new FakeEngine(), async (s) => {
      const list = [config({ changeThreshold: 0.02 }), ...clip("desk", 10), ...clip("street", 10, 10)];
      const answers = await stream(s.url, list, transport);
      expect(s.engine.calls).toHaveLength(2);
      expect(provenance(answers)).toEqual(["ran", ...Array(9).fill(0), "ran", ...Array(9).fill(10)]);
    });
  });
});

describe("skipping unchanged frames", () => {
  it.each([
    ["unset", {}],
    ["0", { changeThreshold: 0 }],
  ])("threshold %s: every frame of the still scene runs", async (_name, init) => {
    await withServer(new FakeEngine(), async (s) => {
      const answers = await stream(s.url, [config(init), ...clip("desk", 30)]);
      expect(s.engine.calls).toHaveLength(30);
      expect(provenance(answers)).toEqual(Array(30).fill("ran"));
    });
  });

  it("a slow lighting drift re-runs the model once the change adds up; each reuse names the last frame that ran", async () => {
    await withServer(new FakeEngine(), async (s) => {
      // +2 gray levels per frame; the threshold (0.02 of 255, about 5 levels) is crossed every 3rd frame.
      const list = [
        config({ changeThreshold: 0.02 }),
        ...Array.from({ length: 30 }, (_, i) => frame(i, raw(sceneFrame("desk", { brightness: 2 * i, seed: i + 1 })))),
      ];
      const answers = await stream(s.url, list);
      let lastRan = -1;
      for (const [i, p] of provenance(answers).entries()) {
        if (p === "ran") lastRan = i;
        else expect(p).toBe(lastRan);
      }
      expect(s.engine.calls.length).toBeGreaterThanOrEqual(8);
      expect(s.engine.calls.length).toBeLessThanOrEqual(15);
    });
  });

  it("frames arriving while the reference still runs wait for its result instead of running", async () => {
    await withServer(new FakeEngine({ delayMs: 600 }), async (s) => {
      const answers = await stream(s.url, [config({ changeThreshold: 0.02, maxInFlight: 4 }), ...clip("desk", 4)]);
      expect(s.engine.calls).toHaveLength(1);
      expect(provenance(answers)).toEqual(["ran", 0, 0, 0]);
    });
  });

  it("LATEST: a still camera's frames wait for the running frame's result instead of being skipped", async () => {
    await withServer(new FakeEngine({ delayMs: 600 }), async (s) => {
      const list = [
        config({ changeThreshold: 0.02, backpressure: BackpressureMode.LATEST }),
        ...clip("desk", 5),
        ...clip("street", 5, 5),
      ];
      const answers = await stream(s.url, list);
      expect(provenance(answers)).toEqual(["ran", 0, 0, 0, 0, "ran", 5, 5, 5, 5]);
      expect(answers.every((a) => a.outcome.case === "result")).toBe(true);
      expect(s.engine.calls).toHaveLength(2);
    });
  });

  it("LATEST: frames waiting on a frame that a newer change supersedes are skipped with it", async () => {
    await withServer(new FakeEngine({ delayMs: 600 }), async (s) => {
      const list = [
        config({ changeThreshold: 0.02, backpressure: BackpressureMode.LATEST }),
        ...clip("desk", 1),
        ...clip("street", 2, 1), // frame 1 waits for the engine, frame 2 waits on frame 1
        ...clip("desk", 1, 3), // a change while frame 1 still waits: supersedes it
      ];
      const answers = await stream(s.url, list);
      expect(
        answers.map((a) => (a.outcome.case === "skipped" ? Number(a.outcome.value.supersededBy) : a.outcome.case)),
      ).toEqual(["result", 3, 3, "result"]);
      expect(s.engine.calls).toHaveLength(2);
    });
  });

  it("another task or another frame size runs; re-sending the same task still reuses", async () => {
    await withServer(new FakeEngine(), async (s) => {
      const desk = (id: number, init: Record<string, unknown> = {}, o = {}) =>
        frame(id, raw(sceneFrame("desk", { seed: id + 1, ...o })), init);
      const list = [
        config({ changeThreshold: 0.05 }),
        desk(0),
        desk(1, { task: { task: Task.CAPTION } }), // same task again: reused
        desk(2, { task: { task: Task.OCR } }), // new task: runs
        desk(3),
        desk(4, {}, { width: 80, height: 60 }), // same scene, other size: runs
        desk(5, {}, { width: 80, height: 60 }),
      ];
      const answers = await stream(s.url, list);
      expect(provenance(answers)).toEqual(["ran", 0, "ran", 2, "ran", 4]);
      expect(answers[3]?.task).toBe(Task.OCR);
      expect(s.engine.calls.map((c) => c.requests[0]?.task)).toEqual(["caption", "ocr", "ocr"]);
    });
  });

  it("encoded (PNG) frames are compared too, through sharp", async () => {
    await withServer(new FakeEngine(), async (s) => {
      const png = async (scene: SceneName, seed: number) => {
        const f = sceneFrame(scene, { seed });
        const bytes = await sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } })
          .png()
          .toBuffer();
        return { source: { case: "encoded" as const, value: new Uint8Array(bytes) } };
      };
      const images = await Promise.all([png("desk", 1), png("desk", 2), png("street", 3), png("street", 4)]);
      const answers = await stream(s.url, [
        config({ changeThreshold: 0.02 }),
        ...images.map((image, i) => frame(i, image as unknown as ReturnType<typeof raw>)),
      ]);
      expect(provenance(answers)).toEqual(["ran", 0, "ran", 2]);
      expect(s.engine.calls).toHaveLength(2);
    });
  });

  it("counts reused frames in the stream's log line and in florence2_stream_frames_total", async () => {
    await withServer(new FakeEngine(), async (s) => {
      await stream(s.url, [config({ changeThreshold: 0.02 }), ...clip("desk", 5), ...clip("street", 5, 5)]);
      const entry = s.logs.find((e) => "method" in e && e.method.endsWith("/StreamFrames"));
      expect(entry !== undefined && "frames" in entry ? entry.frames : undefined).toEqual({
        results: 2,
        skipped: 0,
        errors: 0,
        reused: 8,
      });
      const m = samples((await get11(s.url, "/metrics")).body);
      expect(m.get('florence2_stream_frames_total{outcome="reused"}')).toBe(8);
      expect(m.get('florence2_stream_frames_total{outcome="result"}')).toBe(2);
    });
  });

  it("refuses a change_threshold outside [0, 1) with INVALID_ARGUMENT naming the field", async () => {
    await withServer(new FakeEngine(), async (s) => {
      for (const threshold of [-0.01, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = await stream(s.url, [config({ changeThreshold: threshold }), ...clip("desk", 1)]).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(error?.code, `threshold ${threshold}`).toBe(Code.InvalidArgument);
        expect(error?.rawMessage).toContain("config.change_threshold");
      }
      expect(s.engine.calls).toHaveLength(0);
    });
  });
});
