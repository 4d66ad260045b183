/**
 * Errors a client causes are answered as its fault, and no answer locates or exposes the server:
 * - request bodies that are not valid protobuf / JSON: INVALID_ARGUMENT over gRPC, gRPC-Web and
 *   Connect (raw bytes, as an attacker would send them), never INTERNAL / HTTP 500;
 * - ListModels names the model and never sends the folder it was loaded from;
 * - LATEST mode: a garbage frame that a newer frame supersedes is answered as an error, not "skipped";
 * - a frame id repeated within a stream gets a per-frame INVALID_ARGUMENT answer.
 */
import { connect as http2Connect } from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import type { StreamFramesRequestSchema, StreamFramesResponse } from "../../gen/florence/v1/frames_pb.js";
import { BackpressureMode } from "../../gen/florence/v1/frames_pb.js";
import { ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import type { TestServer } from "../server/harness.js";
import { client, encodedImage, rawImage, startTestServer } from "../server/harness.js";
import { FAKE_MODEL_INFO, FakeEngine } from "../support/fake-engine.js";

/** Field 1 (images), length-delimited, claims 16 bytes and has one: "premature EOF". */
const GARBAGE_PROTOBUF = Uint8Array.of(0x0a, 0x10, 0x01);
const CAPTION_PATH = "/florence.v1.FlorenceService/CaptionImage";

/** No machine path, stack frame or onnxruntime text. */
const LEAKS = /(\/(home|opt|work|tmp|usr|srv|var)\/)|(\bat .+:\d+:\d+)|onnxruntime/i;

function envelope(flags: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

/** Posts `body` over HTTP/2 (prior knowledge) and returns status, headers, trailers and body. */
function http2Post(url: string, path: string, headers: Record<string, string>, body: Uint8Array) {
  return new Promise<{ headers: Record<string, unknown>; trailers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const session = http2Connect(url);
      session.on("error", reject);
      const req = session.request({ ":method": "POST", ":path": path, ...headers });
      let responseHeaders: Record<string, unknown> = {};
      let trailers: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      req.on("response", (h) => (responseHeaders = h));
      req.on("trailers", (t) => (trailers = t));
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        session.close();
        resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
      });
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("malformed request bodies", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.server.close({ graceMs: 1000 });
  });

  it("gRPC: a frame of garbage protobuf is INVALID_ARGUMENT", async () => {
    const r = await http2Post(
      s.url,
      CAPTION_PATH,
      { "content-type": "application/grpc", te: "trailers" },
      envelope(0, GARBAGE_PROTOBUF),
    );
    const status = r.trailers["grpc-status"] ?? r.headers["grpc-status"];
    const message = decodeURIComponent(String(r.trailers["grpc-message"] ?? r.headers["grpc-message"]));
    expect(status).toBe(String(Code.InvalidArgument));
    expect(message).toMatch(/not valid protobuf/);
    expect(message).not.toMatch(LEAKS);
    expect(s.engine.calls).toHaveLength(0);
  });

  it("gRPC: a StreamFrames message of garbage protobuf is INVALID_ARGUMENT", async () => {
    const r = await http2Post(
      s.url,
      "/florence.v1.FlorenceService/StreamFrames",
      { "content-type": "application/grpc", te: "trailers" },
      envelope(0, GARBAGE_PROTOBUF),
    );
    expect(r.trailers["grpc-status"] ?? r.headers["grpc-status"]).toBe(String(Code.InvalidArgument));
  });

  it("gRPC-Web (HTTP/1.1): garbage protobuf is INVALID_ARGUMENT in the trailer frame", async () => {
    const response = await fetch(`${s.url}${CAPTION_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: Buffer.from(envelope(0, GARBAGE_PROTOBUF)),
    });
    const body = new Uint8Array(await response.arrayBuffer());
    const trailer = new TextDecoder().decode(body.subarray(5));
    expect(body[0]).toBe(0x80);
    expect(trailer).toMatch(new RegExp(`grpc-status: ?${Code.InvalidArgument}\\r\\n`));
    expect(decodeURIComponent(trailer)).toMatch(/not valid protobuf/);
  });

  it.each([
    ["protobuf garbage", "application/proto", GARBAGE_PROTOBUF],
    ["invalid JSON", "application/json", new TextEncoder().encode("{not json")],
    ["a JSON field of the wrong type", "application/json", new TextEncoder().encode('{"images": 5}')],
  ])("Connect (HTTP/1.1): %s is HTTP 400 invalid_argument", async (_name, contentType, body) => {
    const response = await fetch(`${s.url}${CAPTION_PATH}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: Buffer.from(body),
    });
    const json = (await response.json()) as { code: string; message: string };
    expect(response.status).toBe(400);
    expect(json.code).toBe("invalid_argument");
    expect(json.message).not.toMatch(LEAKS);
  });

  it("the server keeps serving: a good call afterwards succeeds", async () => {
    const r = await client(FlorenceService, s.url).captionImage({ images: [rawImage(2, 2)] });
    expect(r.results).toHaveLength(1);
  });
});

describe("ListModels names the model, never locates it", () => {
  class LocalFolderEngine extends FakeEngine {
    override readonly info = { ...FAKE_MODEL_INFO, id: "/srv/models/florence-tiny", path: "/srv/models/florence-tiny" };
  }

  it.each([
    ["a hub id", new FakeEngine(), "fake/florence-2"],
    ["a local folder", new LocalFolderEngine(), "florence-tiny"],
  ])("%s", async (_name, fake, id) => {
    const s = await startTestServer({ fake });
    try {
      const [model] = (await client(ModelService, s.url).listModels({})).models;
      expect(model?.id).toBe(id);
      expect(model?.path).toBe("");
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});

type RequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;
const frame = (id: number, image: ReturnType<typeof rawImage> | ReturnType<typeof encodedImage>): RequestInit => ({
  message: { case: "frame", value: { frameId: BigInt(id), image } },
});

async function collect(stream: AsyncIterable<StreamFramesResponse>) {
  const answers: StreamFramesResponse[] = [];
  try {
    for await (const a of stream) answers.push(a);
    return { answers, error: undefined };
  } catch (e) {
    return { answers, error: ConnectError.from(e) };
  }
}

describe("StreamFrames per-frame errors", () => {
  it("LATEST: a garbage frame superseded by a newer frame is answered invalid_image, not skipped", async () => {
    const s = await startTestServer();
    try {
      const release = s.engine.hold();
      async function* requests(): AsyncGenerator<RequestInit> {
        yield {
          message: { case: "config", value: { task: { task: Task.CAPTION }, backpressure: BackpressureMode.LATEST } },
        };
        yield frame(0, rawImage(2, 2)); // runs, held by the engine
        await s.engine.waitForCalls(1);
        yield frame(1, encodedImage(64)); // waits: not an image
        yield frame(2, rawImage(2, 2)); // supersedes frame 1
        // LATEST reads on while the engine is busy: half a second is ample for frame 2 to arrive
        // (were it late, frame 1 would run and this test fail, never pass wrongly).
        await sleep(500);
        release();
      }
      const { answers, error } = await collect(client(FlorenceService, s.url).streamFrames(requests()));
      expect(error).toBeUndefined();
      expect(answers.map((a) => Number(a.frameId))).toEqual([0, 1, 2]);
      const garbage = answers[1]?.outcome;
      expect(garbage?.case).toBe("error");
      if (garbage?.case === "error") {
        expect(garbage.value.code).toBe(Code.InvalidArgument);
        expect(garbage.value.reason).toBe("invalid_image");
        expect(garbage.value.fieldViolations[0]?.field).toBe("frame.image");
      }
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("a repeated frame id gets a per-frame INVALID_ARGUMENT answer and the stream goes on", async () => {
    const s = await startTestServer();
    try {
      const list: RequestInit[] = [
        { message: { case: "config", value: { task: { task: Task.CAPTION } } } },
        frame(1, rawImage(2, 2)),
        frame(2, rawImage(2, 2)),
        frame(1, rawImage(2, 2)),
        frame(3, rawImage(2, 2)),
      ];
      const { answers, error } = await collect(
        client(FlorenceService, s.url).streamFrames(
          (async function* () {
            yield* list;
          })(),
        ),
      );
      expect(error).toBeUndefined();
      expect(answers.map((a) => [Number(a.frameId), a.outcome.case])).toEqual([
        [1, "result"],
        [2, "result"],
        [1, "error"],
        [3, "result"],
      ]);
      const duplicate = answers[2]?.outcome;
      if (duplicate?.case === "error") {
        expect(duplicate.value.code).toBe(Code.InvalidArgument);
        expect(duplicate.value.fieldViolations[0]?.field).toBe("frame.frame_id");
      }
      expect(s.engine.calls).toHaveLength(3);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});
