/**
 * runStream with a stand-in client and frame source (no ffmpeg, no model): lines and summary, the
 * bounded drain, the first and second stop signal, and the unreachable-server message.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { FlorenceClient, FrameAnswer, FrameInput } from "../../client/index.js";
import type { FrameSource, SourceFrame } from "./frame-source.js";
import { runStream } from "./stream-run.js";

const timings = { queueMs: 0, modelMs: 0 };

/** A source of `count` tiny raw frames, one every `everyMs`; stop() ends it after the current frame. */
function source(count: number, everyMs = 0): FrameSource & { stops: number } {
  let stopped = false;
  const s = {
    stops: 0,
    fps: 5,
    description: "test",
    failure: () => undefined,
    stop: async () => {
      stopped = true;
      s.stops += 1;
    },
    frames: (async function* (): AsyncGenerator<SourceFrame> {
      for (let index = 0; index < count && !stopped; index++) {
        if (everyMs > 0) await new Promise((r) => setTimeout(r, everyMs));
        const data = new Uint8Array(3);
        yield { index, timestampUs: index * 200_000, image: { kind: "raw", data, width: 1, height: 1, format: "rgb" } };
      }
    })(),
  };
  return s;
}

/** A client whose stream answers each frame with a caption, except frame ids in `silent`; or fails with `error`. */
function client(silent: ReadonlySet<number> = new Set(), error?: ConnectError): FlorenceClient {
  return {
    async *streamFrames(frames: AsyncIterable<FrameInput>, _config: unknown, options?: { signal?: AbortSignal }) {
      if (error !== undefined) throw error;
      for await (const f of frames) {
        const frameId = f.frameId ?? 0;
        if (silent.has(frameId)) continue;
        const answer: FrameAnswer = {
          frameId,
          timestampUs: f.timestampUs ?? 0,
          task: "caption",
          timings,
          kind: "result",
          result: { kind: "text", text: `frame ${frameId}` } as never,
        };
        yield answer;
      }
      // The server answers the silent frames never: wait until the caller gives up.
      if (silent.size > 0)
        await new Promise((_, reject) =>
          options?.signal?.addEventListener("abort", () => reject(new ConnectError("aborted", Code.Canceled))),
        );
    },
  } as unknown as FlorenceClient;
}

function run(c: FlorenceClient, s: FrameSource, extra: { drainMs?: number; signals?: NodeJS.Signals[] } = {}) {
  const lines: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  const done = runStream({
    client: c,
    config: { task: { task: "caption" } },
    source: s,
    drainMs: extra.drainMs ?? 5000,
    serverLabel: "http://127.0.0.1:1",
    print: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
    warn: (l) => warnings.push(l),
    signals: extra.signals ?? [],
  });
  return { done, lines, warnings };
}

describe("runStream", () => {
  it("prints one line per answer and counts them", async () => {
    const s = source(3);
    const { done, lines } = run(client(), s);
    const outcome = await done;
    expect(lines.map((l) => [l.frame, l.outcome, l.timestampUs])).toEqual([
      [0, "result", 0],
      [1, "result", 200_000],
      [2, "result", 400_000],
    ]);
    expect(outcome.failure).toBeUndefined();
    expect(outcome.summary).toMatchObject({ sent: 3, answered: 3, results: 3, unanswered: 0 });
    expect(s.stops).toBeGreaterThan(0);
  });

  it("stops waiting --drain-ms after the input ended without an answer, and says how many are missing", async () => {
    const { done } = run(client(new Set([2])), source(3), { drainMs: 100 });
    const outcome = await done;
    expect(outcome.summary).toMatchObject({ sent: 3, answered: 2, unanswered: 1 });
    expect(outcome.failure?.message).toMatch(/stopped waiting for 1 answers: none came for 100 ms \(--drain-ms\)/);
  });

  it("the first signal ends the input and drains (no failure); the run ends with every sent frame answered", async () => {
    const s = source(1000, 5);
    const { done, warnings } = run(client(), s, { signals: ["SIGUSR2"] });
    await new Promise((r) => setTimeout(r, 60));
    process.emit("SIGUSR2", "SIGUSR2");
    const outcome = await done;
    expect(outcome.interrupted).toBe(true);
    expect(outcome.failure).toBeUndefined();
    expect(outcome.summary.sent).toBeLessThan(1000);
    expect(outcome.summary.unanswered).toBe(0);
    expect(warnings.join("\n")).toMatch(/SIGUSR2: no more frames/);
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("a second signal stops at once and fails, counting the frames left unanswered", async () => {
    const { done } = run(client(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), source(10), { signals: ["SIGUSR2"] });
    await new Promise((r) => setTimeout(r, 30));
    process.emit("SIGUSR2", "SIGUSR2");
    process.emit("SIGUSR2", "SIGUSR2");
    const outcome = await done;
    expect(outcome.failure?.message).toMatch(/stopped by a second signal: \d+ frames went unanswered/);
  });

  it("an unreachable server names the address and what to check", async () => {
    const { done } = run(client(new Set(), new ConnectError("connect ECONNREFUSED", Code.Unavailable)), source(1));
    const outcome = await done;
    expect(outcome.failure?.message).toMatch(
      /cannot reach the server at http:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED\); is "florence2 serve" running there/,
    );
  });
});
