/**
 * RunStream end to end on the tiny random-weight fixture (worker thread, real server, typed
 * client): partial texts grow as prefixes of the final answer, the result equals Run's, stopping
 * the call stops the decoding (checked by the engine's decoder-step counter, never by timing), and
 * auth, limits and batching apply as for Run.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  ConnectError,
  createFlorenceClient,
  type FlorenceClient,
  type Protocol,
  type TaskResult,
} from "../../client/index.js";
import type { RunStreamEvent } from "../../client/run-stream.js";
import { createFlorence, type Florence } from "../../models/index.js";
import type { LogEntry } from "../../server/logger.js";
import { createFlorenceServer, type FlorenceServer } from "../../server/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);
/** Exactly 24 tokens (no early end), greedy, a partial after every token that changes the text. */
const short = { maxNewTokens: 24, minNewTokens: 24, numBeams: 1, partialIntervalMs: 0 } as const;
/** As long as the tiny decoder's positions allow: stopping it early shows in the step counter. */
const LONG = 1024;
const long = { maxNewTokens: LONG, minNewTokens: LONG, numBeams: 1, partialIntervalMs: 0 } as const;

let florence: Florence;
let server: FlorenceServer;
let url: string;
const logs: LogEntry[] = [];
let coffee: Uint8Array;
let gray: Uint8Array;

beforeAll(async () => {
  // A wide batching window, so calls made together decode in one batch.
  florence = await createFlorence({ model: MODEL, maxDelayMs: 200 });
  server = createFlorenceServer({ engine: florence, port: 0, logger: (e) => logs.push(e) });
  url = (await server.listen()).url;
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  gray = await readFile(new URL("camera_gray.png", IMAGES));
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

async function collect(events: AsyncIterable<RunStreamEvent>): Promise<RunStreamEvent[]> {
  const out: RunStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

type Partial = Extract<RunStreamEvent, { kind: "partial" }>;

/** The events' partial texts per image, and their one result event, which must come last. */
function split(events: readonly RunStreamEvent[]) {
  const last = events.at(-1);
  if (last?.kind !== "result") throw new Error(`the stream did not end with a result: ${JSON.stringify(last)}`);
  const partials = events.slice(0, -1);
  expect(partials.every((e) => e.kind === "partial")).toBe(true);
  return { partials: partials as Partial[], results: last.results };
}

/** What partial texts must be prefixes of: the text of text results, the cleaned raw text of the others. */
function finalText(result: TaskResult): string {
  return result.kind === "text" ? result.text : result.rawText.replace(/<\/?s>|<pad>/g, "").trim();
}

/** Each image's partial texts grow, each a prefix of the next and of the final answer. */
function expectGrowingPrefixes(partials: readonly Partial[], results: readonly TaskResult[]): void {
  results.forEach((result, index) => {
    const texts = partials.filter((p) => p.imageIndex === index);
    const final = finalText(result);
    let previous = "";
    let tokens = 0;
    for (const p of texts) {
      expect(p.text.startsWith(previous), `${JSON.stringify(p.text)} after ${JSON.stringify(previous)}`).toBe(true);
      expect(p.text.length).toBeGreaterThan(previous.length);
      expect(final.startsWith(p.text), `${JSON.stringify(p.text)} of ${JSON.stringify(final)}`).toBe(true);
      expect(p.generatedTokens).toBeGreaterThan(tokens);
      expect(p.generatedTokens).toBeLessThanOrEqual(result.generatedTokens);
      previous = p.text;
      tokens = p.generatedTokens;
    }
  });
}

const steps = async (): Promise<number> => (await florence.stats()).decoderSteps;

/** Waits until the server has logged `count` RunStream calls (a call is logged when it has ended). */
async function runStreamCallsLogged(count: number): Promise<LogEntry[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ended = logs.filter((e) => "method" in e && e.method === "florence.v1.FlorenceService/RunStream");
    if (ended.length >= count || Date.now() > deadline) return ended;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each([
  ["grpc", "grpc", undefined],
  ["grpc-web over HTTP/1.1", "grpc-web", "1.1"],
  ["connect over HTTP/1.1", "connect", "1.1"],
] as const)("%s", (_name, protocol: Protocol, httpVersion) => {
  let client: FlorenceClient;
  beforeAll(() => {
    client = createFlorenceClient({ baseUrl: url, protocol, ...(httpVersion === undefined ? {} : { httpVersion }) });
  });

  it("caption: partial texts grow to the final text, and the result equals Run's", async () => {
    const { partials, results } = split(await collect(client.runStream("caption", coffee, short)));
    expect(partials.length).toBeGreaterThan(0);
    expectGrowingPrefixes(partials, results);
    expect(results).toEqual(await client.run("caption", coffee, short));
  });
});

describe("RunStream", () => {
  let client: FlorenceClient;
  beforeAll(() => {
    client = createFlorenceClient({ baseUrl: url, protocol: "grpc" });
  });

  it("two images, a structured task: partials per image, prefixes of the raw text; result equals Run's", async () => {
    const images = [coffee, gray];
    const events = await collect(client.runStream("object_detection", images, short));
    const { partials, results } = split(events);
    expect(new Set(partials.map((p) => p.imageIndex))).toEqual(new Set([0, 1]));
    expectGrowingPrefixes(partials, results);
    expect(results).toEqual(await client.run("object_detection", images, short));
  });

  it("beam search: the partial texts (the beams' common prefix) are prefixes of the result", async () => {
    const beams = { ...short, numBeams: 3 };
    const { partials, results } = split(await collect(client.runStream("ocr", coffee, beams)));
    expectGrowingPrefixes(partials, results);
    expect(results).toEqual(await client.run("ocr", coffee, beams));
  });

  it("the default interval sends far fewer partials than tokens", async () => {
    const { partials, results } = split(
      await collect(client.runStream("caption", coffee, { maxNewTokens: LONG, minNewTokens: LONG, numBeams: 1 })),
    );
    expectGrowingPrefixes(partials, results);
    expect(results[0]?.generatedTokens).toBe(LONG);
    // 1024 tokens take well under 10 s here; at most one partial per 100 ms, whatever the machine.
    expect(partials.length).toBeLessThan(LONG / 4);
  });

  it("the result's timings go to onTimings, as for run", async () => {
    let timings: unknown;
    const { results } = split(
      await collect(client.runStream("caption", coffee, { ...short, onTimings: (t) => (timings = t) })),
    );
    expect(results).toHaveLength(1);
    expect(timings).toMatchObject({ modelMs: expect.any(Number), queueMs: expect.any(Number) });
  });

  it("calls streamed together decode in one batch, each with its own partial texts", async () => {
    const before = (await florence.stats()).batches;
    const [caption, ocr, run] = await Promise.all([
      collect(client.runStream("caption", coffee, short)),
      collect(client.runStream("ocr", gray, short)),
      client.run("detailed_caption", coffee, short),
    ]);
    const a = split(caption);
    const b = split(ocr);
    expectGrowingPrefixes(a.partials, a.results);
    expectGrowingPrefixes(b.partials, b.results);
    expect(run).toHaveLength(1);
    // One batch for the three calls (the window is 200 ms), not three.
    expect((await florence.stats()).batches - before).toBe(1);
    expect(a.results[0]?.task).toBe("caption");
    expect(b.results[0]?.task).toBe("ocr");
    // Alone, each call generates the same tokens (confidences may differ in the last float bits:
    // a batch pads its rows).
    expect(a.results[0]?.rawText).toBe((await client.run("caption", coffee, short))[0]?.rawText);
    expect(b.results[0]?.rawText).toBe((await client.run("ocr", gray, short))[0]?.rawText);
  });

  describe("stopping the call stops the decoding", () => {
    /** Runs `stop` on a long stream after its first partial; the decoder steps it cost after all. */
    async function stepsWhenStopped(
      stop: (events: AsyncIterator<RunStreamEvent>, controller: AbortController) => Promise<void>,
      timeoutMs?: number,
    ): Promise<{ steps: number; code: unknown }> {
      const calls = (await runStreamCallsLogged(0)).length;
      const before = await steps();
      const controller = new AbortController();
      const events = client
        .runStream("caption", coffee, {
          ...long,
          signal: controller.signal,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        })
        [Symbol.asyncIterator]();
      if (timeoutMs === undefined) {
        const first = await events.next();
        expect(first.value?.kind).toBe("partial");
      }
      await stop(events, controller);
      const logged = await runStreamCallsLogged(calls + 1);
      // The call has ended, but its batch may still be decoding: a one-token call runs after that
      // batch (a running batch takes no new rows), so the counter is read once the worker is done.
      await client.run("caption", coffee, { maxNewTokens: 1, numBeams: 1 });
      return { steps: (await steps()) - before, code: (logged[calls] as { code?: unknown }).code };
    }

    it("client abort: CANCELED, decoding stops", async () => {
      const { steps: used, code } = await stepsWhenStopped(async (events, controller) => {
        controller.abort();
        await expect(events.next()).rejects.toMatchObject({ code: Code.Canceled });
      });
      expect(code).toBe("canceled");
      expect(used).toBeLessThan(LONG / 2);
    });

    it("the client breaks out of its loop: the call is cancelled, decoding stops", async () => {
      const { steps: used, code } = await stepsWhenStopped(async (events) => {
        await events.return?.();
      });
      expect(code).toBe("canceled");
      expect(used).toBeLessThan(LONG / 2);
    });

    it("deadline: DEADLINE_EXCEEDED, decoding stops", async () => {
      const { steps: used, code } = await stepsWhenStopped(async (events) => {
        let error: unknown;
        try {
          for (let e = await events.next(); !e.done; e = await events.next());
        } catch (e) {
          error = e;
        }
        expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
      }, 400);
      // The server's log says deadline_exceeded when its own deadline fires first; when the client's
      // reset of the HTTP/2 stream arrives first (connect-node resets with INTERNAL_ERROR on a
      // deadline), it says deadline_exceeded or canceled (server/errors.ts). Either way the call
      // failed and decoding stopped.
      expect(code).not.toBe("ok");
      expect(used).toBeLessThan(LONG);
    });
  });

  // A program that stops reading early must still end by itself: an HTTP/2 stream left unread after
  // its reset kept the connection, and so the process, alive until connect's 15-minute idle timeout
  // (client/early-stop.ts). The same holds for StreamFrames.
  const early = (tokens: number, stopAt: string) =>
    `for await (const event of client.runStream("caption", image, { maxNewTokens: ${tokens}, minNewTokens: ${tokens}, numBeams: 1, partialIntervalMs: 0 })) {
  if (event.kind === "${stopAt}") break;
}`;
  it.each([
    ["runStream after the first partial", early(LONG, "partial")],
    ["runStream after the result", early(5, "result")],
    [
      "streamFrames after the first answer",
      `const frames = [1, 2, 3, 4].map((frameId) => ({ frameId, image }));
for await (const answer of client.streamFrames(frames, { task: { task: "caption" }, options: { maxNewTokens: 5, numBeams: 1 } })) {
  if (answer.kind === "result") break;
}`,
    ],
  ])(
    "a Node program that breaks out of %s exits on its own",
    async (_name, body) => {
      const dir = await mkdtemp(join(tmpdir(), "florence-early-stop-"));
      const script = join(dir, "break.mts");
      const clientUrl = new URL("../../client/index.ts", import.meta.url).href;
      const imagePath = new URL("coffee.jpg", IMAGES).pathname;
      writeFileSync(
        script,
        `import { readFile } from "node:fs/promises";
import { createFlorenceClient } from ${JSON.stringify(clientUrl)};
const client = createFlorenceClient({ baseUrl: ${JSON.stringify(url)} });
const image = await readFile(${JSON.stringify(imagePath)});
${body}
console.log("stopped");
`,
      );
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
        });
        // Generous: a fixed client exits within a second; the broken one waited 15 minutes.
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("exit", (exitCode) => {
          clearTimeout(killer);
          resolve({ code: exitCode, stdout: out });
        });
      });
      expect(stdout).toContain("stopped");
      expect(code).toBe(0);
    },
    60_000,
  );

  it("bad requests: the same INVALID_ARGUMENT as Run, and a partial interval over the limit", async () => {
    const tooMany = { ...short, maxNewTokens: 5000, minNewTokens: 0 };
    const viaRun = await client.run("caption", coffee, tooMany).catch((e: unknown) => ConnectError.from(e));
    const viaStream = await collect(client.runStream("caption", coffee, tooMany)).catch((e: unknown) =>
      ConnectError.from(e),
    );
    expect(viaRun).toBeInstanceOf(ConnectError);
    expect(viaStream).toBeInstanceOf(ConnectError);
    expect((viaStream as ConnectError).code).toBe(Code.InvalidArgument);
    expect((viaStream as ConnectError).rawMessage).toBe((viaRun as ConnectError).rawMessage);

    const slow = await collect(client.runStream("caption", coffee, { ...short, partialIntervalMs: 60_001 })).catch(
      (e: unknown) => ConnectError.from(e),
    );
    expect((slow as ConnectError).code).toBe(Code.InvalidArgument);
    expect((slow as ConnectError).rawMessage).toContain("partial_interval_ms");
  });
});

describe("RunStream behind auth", () => {
  let secured: FlorenceServer;
  let securedUrl: string;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "run-stream-"));
    const tokensFile = join(dir, "tokens");
    writeFileSync(tokensFile, "ci:s3cret-token-for-tests\n");
    secured = createFlorenceServer({ engine: florence, port: 0, logger: () => {}, authTokensFile: tokensFile });
    securedUrl = (await secured.listen()).url;
  });
  afterAll(async () => {
    await secured?.close({ graceMs: 1000 });
  });

  it("refuses a call without the token (UNAUTHENTICATED, nothing decoded), serves one with it", async () => {
    const before = await steps();
    const anonymous = createFlorenceClient({ baseUrl: securedUrl, protocol: "grpc" });
    const refused = await collect(anonymous.runStream("caption", coffee, short)).catch((e: unknown) =>
      ConnectError.from(e),
    );
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    expect(await steps()).toBe(before);
    const authorized = createFlorenceClient({ baseUrl: securedUrl, protocol: "grpc", token: "s3cret-token-for-tests" });
    const { results } = split(await collect(authorized.runStream("caption", coffee, short)));
    expect(results).toHaveLength(1);
  });
});
