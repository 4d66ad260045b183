/**
 * Nothing runs that the model cannot do, on the real tiny model behind a real server. Measured
 * before these limits existed: max_new_tokens up to 4096 was accepted and failed INTERNAL
 * with onnxruntime node names once the decoder ran out of its 1024 positions; a 20 MB phrase held
 * the worker 30 s (tokenizing) before INVALID_ARGUMENT; 16 JPEGs of 6000x6000 cost 33 s of
 * worker time. Each check here is by counters (decoder steps, vision-encoder images) or by the
 * error's content, never by timing.
 */
import { readFile } from "node:fs/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { generate } from "../../models/generation/batch-decoder.js";
import { createOrtDecoderStepper } from "../../models/generation/ort-stepper.js";
import { createFlorence, type Florence, type FlorenceError } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { loadTiny, randomEncoded, stackEncoded, tinyAvailable } from "../support/tiny-model.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const COFFEE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
/** The tiny fixture's max_position_embeddings (test/fixtures/tiny/config.json), as in florence-2-base/large. */
const POSITIONS = 1024;

let florence: Florence;
let server: FlorenceServer;
let florenceClient: ReturnType<typeof createClient<typeof FlorenceService>>;
let modelClient: ReturnType<typeof createClient<typeof ModelService>>;
let coffee: Uint8Array;

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  // A small pixel budget, so the over-budget request below is cheap even when (before the fix) it ran.
  server = createFlorenceServer({ engine: florence, port: 0, logger: silentLogger, maxRequestMegapixels: 8 });
  const transport = createGrpcTransport({
    baseUrl: (await server.listen()).url,
    readMaxBytes: 128 << 20,
    writeMaxBytes: 128 << 20,
  });
  florenceClient = createClient(FlorenceService, transport);
  modelClient = createClient(ModelService, transport);
  coffee = await readFile(COFFEE);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

async function stats() {
  const list = await modelClient.listModels({});
  const s = list.models[0]?.stats;
  return { decoderSteps: Number(s?.decoderSteps ?? -1), visionImages: Number(s?.visionImages ?? -1) };
}

async function codeOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded");
}

describe("model-derived limits, checked before the engine sees the request", () => {
  it("ListModels reports the decoder's cap as the model's and the server's max_new_tokens", async () => {
    const list = await modelClient.listModels({});
    expect(list.models[0]?.maxNewTokens).toBe(POSITIONS);
    expect(list.limits?.maxNewTokens).toBe(POSITIONS); // the server's 4096 is above the model's cap
    expect(list.models[0]?.maxTextBytes).toBeGreaterThan(0);
  });

  it("max_new_tokens beyond the decoder's positions is INVALID_ARGUMENT naming the cap, and no decoder step runs", async () => {
    const before = await stats();
    const error = await codeOf(
      florenceClient.captionImage(
        {
          images: [{ source: { case: "encoded", value: coffee } }],
          options: { maxNewTokens: 4096, minNewTokens: 4096, numBeams: 1 },
        },
        { timeoutMs: 60_000 },
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("options.max_new_tokens");
    expect(error.rawMessage).toContain(String(POSITIONS));
    expect(error.rawMessage).not.toMatch(/onnxruntime|Gather|node/i);
    expect(await stats()).toEqual(before);
  });

  it("max_new_tokens beyond the server's own limit too is told the cap that applies (the model's), not the server's", async () => {
    const error = await codeOf(
      florenceClient.captionImage(
        { images: [{ source: { case: "encoded", value: coffee } }], options: { maxNewTokens: 5000, numBeams: 1 } },
        { timeoutMs: 60_000 },
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`must be 1 to ${POSITIONS}, got 5000`);
  });

  it("a 20 MB phrase is refused by its byte length before the 2-second deadline, saying the limit", async () => {
    const { models } = await modelClient.listModels({});
    const maxTextBytes = models[0]!.maxTextBytes;
    const phrase = "a".repeat(20 * 1024 * 1024);
    const before = await stats();
    // Before the fix the worker tokenized it for ~30 s: the deadline would pass first.
    const error = await codeOf(
      florenceClient.groundPhrase(
        { images: [{ source: { case: "encoded", value: coffee } }], phrase },
        { timeoutMs: 2_000 },
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`at most ${maxTextBytes} bytes`);
    expect(error.rawMessage).toContain("shorten");
    expect(await stats()).toEqual(before);
  });

  it("a class list that joins to more than the byte limit is refused the same way", async () => {
    const { models } = await modelClient.listModels({});
    const half = Math.ceil(models[0]!.maxTextBytes / 2) + 1;
    const classes = ["b".repeat(half), "c".repeat(half)];
    const error = await codeOf(
      florenceClient.detectObjects(
        { images: [{ source: { case: "encoded", value: coffee } }], classes },
        { timeoutMs: 5_000 },
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("bytes");
  });

  it("images over the per-request pixel budget are refused from their headers; no image reaches the vision encoder", async () => {
    // 3 x 2000x2000 = 12 MP, over the 8 MP budget this server was given; each is far under the per-image limit.
    const big = await sharp({
      create: { width: 2000, height: 2000, channels: 3, background: { r: 90, g: 120, b: 30 } },
    })
      .jpeg()
      .toBuffer();
    const before = await stats();
    const image = { source: { case: "encoded" as const, value: new Uint8Array(big) } };
    const error = await codeOf(
      florenceClient.captionImage(
        { images: [image, image, image], options: { maxNewTokens: 2, numBeams: 1 } },
        { timeoutMs: 60_000 },
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("12.0 megapixels");
    expect(error.rawMessage).toContain("8 megapixels");
    expect(await stats()).toEqual(before);
    // The service keeps serving: one image of the same size fits.
    const ok = await florenceClient.captionImage(
      { images: [image], options: { maxNewTokens: 2, numBeams: 1 } },
      { timeoutMs: 60_000 },
    );
    expect(ok.results).toHaveLength(1);
  });

  it("the engine itself refuses an over-long text by bytes before tokenizing (in-process callers)", async () => {
    const text = "d".repeat(20 * 1024 * 1024);
    const error = (await florence.run({ task: "phrase_grounding", text }, [coffee]).then(
      () => undefined,
      (e: unknown) => e,
    )) as FlorenceError | undefined;
    expect(error?.kind).toBe("invalid_argument");
    // Before the fix it tokenized all 20 MB and then complained about the token count.
    expect(error?.message).toContain("bytes");
    expect(error?.message).not.toContain("tokens long");
  });
});

describe.skipIf(!tinyAvailable)("the generation loop at the decoder's position limit", () => {
  it("a generation asked for more tokens than positions stops at the limit with stop reason max_length", async () => {
    const s = await loadTiny();
    try {
      const { hiddenStates, attentionMask } = stackEncoded([randomEncoded(1, 590, 64)]);
      const stepper = createOrtDecoderStepper({
        embedTokens: s.embed,
        decoder: s.decoder,
        encoderHiddenStates: hiddenStates,
        encoderAttentionMask: attentionMask,
      });
      // min_new_tokens = max_new_tokens forces the length past the positions (random weights might stop early otherwise).
      const [result] = await generate(
        stepper,
        [{}],
        { numBeams: 1, maxNewTokens: POSITIONS + 100, minNewTokens: POSITIONS + 100, noRepeatNgramSize: 0 },
        POSITIONS,
      );
      expect(result?.stopReason).toBe("max_length");
      expect(result?.tokens).toHaveLength(1 + POSITIONS);
      expect(result?.tokens.at(-1)).toBe(2); // the forced end token, as transformers at max_length
    } finally {
      await s.release();
    }
  });
});
