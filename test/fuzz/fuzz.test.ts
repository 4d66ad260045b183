/**
 * Property-based fuzzing of the real server (real listener, real engine on the random-weight tiny
 * model) over gRPC, gRPC-Web and Connect: valid messages with random field values, damaged
 * binary and JSON encodings, broken envelopes, and random streams. Every answer must be a proper
 * gRPC status that blames the caller (or reports the deadline / overload), never INTERNAL or
 * UNKNOWN, and never shows a machine path, a stack frame or onnxruntime internals; after each
 * property a good request still succeeds.
 *
 * Bounded for CI (FUZZ_RUNS, default below, per property); `npm run fuzz` runs a longer campaign.
 * A failure prints fast-check's seed and the shrunk counterexample: rerun with FUZZ_SEED=<seed>.
 */
import { readFile } from "node:fs/promises";
import { type DescMessage, type DescMethod, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorenceClient, type FlorenceClient } from "../../client/index.js";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { StreamFramesRequestSchema } from "../../gen/florence/v1/frames_pb.js";
import { ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { GenerationOptionsSchema } from "../../gen/florence/v1/task_pb.js";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, type LogEntry } from "../../server/index.js";
import {
  byteMutation,
  generationOptionsOverride,
  imageOverride,
  jsonMutation,
  messageArbitrary,
  type Overrides,
} from "./arbitraries.js";
import { envelope, type RawAnswer, RawCaller, type WireProtocol } from "./raw-call.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** The deadline each fuzzed call carries; generous so a slow CI machine answers, not times out. */
const CALL_TIMEOUT_MS = 20_000;

/**
 * What a fuzzed call may be answered: OK, the caller's fault, overload, or its deadline. INTERNAL
 * or UNKNOWN means the server failed on input it should have refused.
 */
const PROPER_CODES: ReadonlySet<number> = new Set([
  0,
  Code.InvalidArgument,
  // A `model` name the server does not have; unloading a model while calls use it.
  Code.NotFound,
  Code.FailedPrecondition,
  Code.ResourceExhausted,
  Code.DeadlineExceeded,
]);

/** What must never reach a client: machine paths, stack frames, onnxruntime internals. */
const LEAKS = [
  /(^|[\s:'"(])\/(root|home|work|tmp|usr|var|opt)\//,
  /\bat [\w.<>]+ \(/,
  /\.(ts|js|mjs):\d+/,
  /onnxruntime|\bort\b|node name|\/model\/|MatMul|Gather/i,
];

/**
 * A unary call whose body holds no envelope or several is a protocol error that connect answers
 * UNIMPLEMENTED, as gRPC does for a violated message cardinality: a proper status, kept.
 */
function isCardinalityViolation(answer: RawAnswer): boolean {
  return (
    answer.code === Code.Unimplemented && /^protocol error: (missing|received extra) input message/.test(answer.message)
  );
}

function expectProper(answer: RawAnswer, what: string): void {
  const detail = `${what}: code ${String(answer.code)} (HTTP ${answer.httpStatus}) ${JSON.stringify(answer.message)}`;
  const proper = answer.code !== undefined && (PROPER_CODES.has(answer.code) || isCardinalityViolation(answer));
  expect(proper, detail).toBe(true);
  for (const leak of LEAKS) expect(leak.test(answer.message), detail).toBe(false);
}

const UNARY: readonly DescMethod[] = [
  ...FlorenceService.methods.filter((m) => m.methodKind === "unary"),
  ...ModelService.methods,
];

let florence: Florence;
let server: FlorenceServer;
let url: string;
let client: FlorenceClient;
let raw: RawCaller;
let coffee: Uint8Array;
let overrides: Overrides;
const logs: LogEntry[] = [];

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, port: 0, logger: (e) => logs.push(e) });
  url = (await server.listen()).url;
  client = createFlorenceClient({ baseUrl: url, protocol: "grpc" });
  raw = new RawCaller(url);
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  const pictures = await Promise.all(
    ["tiny_12x9.png", "coffee.jpg", "astronaut_tall.webp"].map(
      async (f) => new Uint8Array(await readFile(new URL(f, IMAGES))),
    ),
  );
  overrides = new Map([
    ["florence.v1.Image", imageOverride(pictures)],
    ["florence.v1.GenerationOptions", generationOptionsOverride],
  ]);
});

afterAll(async () => {
  raw?.close();
  await server?.close({ graceMs: 2000 });
});

/**
 * A request message of `schema`; its generation options are always set (to a bounded value when
 * the generator left them out), because the model's default of 1024 tokens and 3 beams only
 * measures the deadline on random weights. Its `model` is random in one call of ten and the
 * default model otherwise, so most calls reach the engine rather than NOT_FOUND.
 */
function requestOf(schema: DescMessage): fc.Arbitrary<Uint8Array> {
  return fc.tuple(messageArbitrary(schema, overrides), fc.nat(9)).map(([message, dice]) => {
    const m = message as { options?: unknown; model?: unknown };
    if ("options" in m && m.options === undefined) m.options = toOptions();
    if (schema.typeName !== "florence.v1.LoadModelRequest" && schema.typeName !== "florence.v1.UnloadModelRequest") {
      if ("model" in m && dice !== 0) m.model = "";
    }
    return toBinary(schema, message);
  });
}

function toOptions() {
  return { $typeName: GenerationOptionsSchema.typeName, numBeams: 1, maxNewTokens: 4 } as never;
}

const pathOf = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;

/** After every property: the server is up and a good request still gets its answer. */
async function expectStillServing(): Promise<void> {
  const [caption] = await client.captionImage(coffee, { maxNewTokens: 4, numBeams: 1 });
  expect(typeof caption?.text).toBe("string");
}

const params = () => ({ numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });

const BINARY_PROTOCOLS: readonly WireProtocol[] = ["grpc", "grpc-web", "connect"];

describe("fuzzing the real server", () => {
  it("valid messages with random field values, every unary RPC, every protocol", async () => {
    const arbitrary = fc
      .constantFrom(...UNARY)
      .chain((method) =>
        fc.tuple(
          fc.constant(method),
          requestOf(method.input),
          fc.constantFrom<WireProtocol | "connect-json">(...BINARY_PROTOCOLS, "connect-json"),
        ),
      );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, body, protocol]) => {
        const json = protocol === "connect-json";
        const payload = json
          ? new TextEncoder().encode(toJsonString(method.input, fromBinary(method.input, body)))
          : body;
        const answer = await raw.call(json ? "connect" : protocol, {
          path: pathOf(method),
          body: json || protocol === "connect" ? payload : envelope(payload),
          json,
          timeoutMs: CALL_TIMEOUT_MS,
        });
        expectProper(answer, `${protocol} ${method.name}`);
      }),
      params(),
    );
    await expectStillServing();
  });

  it("damaged binary encodings inside well-formed envelopes", async () => {
    const arbitrary = fc
      .constantFrom(...UNARY)
      .chain((method) =>
        fc.tuple(fc.constant(method), requestOf(method.input), byteMutation, fc.constantFrom(...BINARY_PROTOCOLS)),
      );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, body, mutate, protocol]) => {
        const damaged = mutate(body);
        const answer = await raw.call(protocol, {
          path: pathOf(method),
          body: protocol === "connect" ? damaged : envelope(damaged),
          timeoutMs: CALL_TIMEOUT_MS,
        });
        expectProper(answer, `${protocol} ${method.name}`);
      }),
      params(),
    );
    await expectStillServing();
  });

  it("broken envelopes (wrong lengths, flags, cut prefixes) over gRPC and gRPC-Web", async () => {
    const arbitrary = fc
      .constantFrom(...UNARY)
      .chain((method) =>
        fc.tuple(
          fc.constant(method),
          requestOf(method.input),
          byteMutation,
          fc.constantFrom<WireProtocol>("grpc", "grpc-web"),
        ),
      );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, body, mutate, protocol]) => {
        const answer = await raw.call(protocol, {
          path: pathOf(method),
          body: mutate(envelope(body)),
          timeoutMs: CALL_TIMEOUT_MS,
        });
        expectProper(answer, `${protocol} ${method.name}`);
      }),
      params(),
    );
    await expectStillServing();
  });

  it("damaged JSON over Connect", async () => {
    const arbitrary = fc
      .constantFrom(...UNARY)
      .chain((method) => fc.tuple(fc.constant(method), requestOf(method.input), jsonMutation));
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([method, body, mutate]) => {
        const json = mutate(toJsonString(method.input, fromBinary(method.input, body)));
        const answer = await raw.call("connect", {
          path: pathOf(method),
          body: new TextEncoder().encode(json),
          json: true,
          timeoutMs: CALL_TIMEOUT_MS,
        });
        expectProper(answer, `connect-json ${method.name} ${JSON.stringify(json.slice(0, 120))}`);
      }),
      params(),
    );
    await expectStillServing();
  });

  it("random StreamFrames streams (random and damaged messages) over gRPC and Connect", async () => {
    const message = messageArbitrary(StreamFramesRequestSchema, overrides).map((m) =>
      toBinary(StreamFramesRequestSchema, m),
    );
    const arbitrary = fc.tuple(
      fc.array(fc.tuple(message, fc.option(byteMutation, { nil: undefined, freq: 3 })), { minLength: 0, maxLength: 4 }),
      fc.constantFrom<WireProtocol>("grpc", "connect-stream"),
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([messages, protocol]) => {
        const body = Buffer.concat(messages.map(([m, mutate]) => envelope(mutate === undefined ? m : mutate(m))));
        const answer = await raw.call(protocol, {
          path: `${FlorenceService.typeName}/StreamFrames`,
          body,
          timeoutMs: CALL_TIMEOUT_MS,
        });
        expectProper(answer, `${protocol} StreamFrames`);
      }),
      { ...params(), numRuns: Math.max(1, Math.floor(RUNS / 2)) },
    );
    await expectStillServing();
  });

  it("logged no server fault for any of it", () => {
    const faults = logs.filter((e) => e.level === "error");
    expect(faults.map((e) => JSON.stringify(e)).slice(0, 3)).toEqual([]);
  });
});
