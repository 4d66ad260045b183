/**
 * One `florence2 stream` run: frames from the source go through StreamFrames, each answer is
 * printed (and drawn) as it comes, and the run ends cleanly: at the end of input or on the first
 * SIGINT/SIGTERM the request side is half-closed and the answers still due are awaited, for at most
 * `drainMs` between two answers; a second signal stops at once. The summary is always produced.
 */
import sharp from "sharp";
import { annotate } from "../../client/annotate/node.js";
import {
  Code,
  ConnectError,
  type FlorenceClient,
  type FrameInput,
  type ModelChoice,
  type StreamConfig,
} from "../../client/index.js";
import type { FrameSink } from "./draw-sink.js";
import { frameLine, type StreamSummary, StreamTally } from "./frame-report.js";
import type { FrameSource, SourceFrame } from "./frame-source.js";

export interface StreamRunInit {
  readonly client: FlorenceClient;
  readonly config: StreamConfig & ModelChoice;
  readonly source: FrameSource;
  /** --draw's output; undefined without --draw. */
  readonly sink?: FrameSink | undefined;
  /** Longest wait for the next answer once the input has ended. */
  readonly drainMs: number;
  /** Where the server is, for the error when it cannot be reached. */
  readonly serverLabel: string;
  /** Writes one line of stdout. */
  readonly print: (line: string) => void;
  /** Writes one line of stderr. */
  readonly warn: (line: string) => void;
  /** The signals that stop the run (first: drain, second: at once). Default SIGINT and SIGTERM. */
  readonly signals?: readonly NodeJS.Signals[];
}

export interface StreamOutcome {
  readonly summary: StreamSummary;
  /** Why the run failed (input undecodable, server unreachable, stream broken, drain ran out); undefined when it did not. */
  readonly failure: Error | undefined;
  /** Whether a signal ended the input early. */
  readonly interrupted: boolean;
}

/** The frame as PNG for annotate: raw RGB is encoded quickly (no compression), encoded frames pass as they are. */
async function framePng(image: SourceFrame["image"]): Promise<Uint8Array> {
  if (image.kind === "encoded") return image.data;
  const { data, width, height } = image;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

/** The error a failed call reads as: an unreachable server says where and what to check. */
function streamError(e: unknown, answered: number, serverLabel: string): Error {
  if (e instanceof ConnectError && e.code === Code.Unavailable && answered === 0)
    return new Error(
      `cannot reach the server at ${serverLabel} (${e.rawMessage}); is "florence2 serve" running there, and is --url right?`,
    );
  if (e instanceof ConnectError) return new Error(`the stream failed: ${Code[e.code]}: ${e.rawMessage}`);
  return e instanceof Error ? e : new Error(String(e));
}

export async function runStream(init: StreamRunInit): Promise<StreamOutcome> {
  const { client, source, sink, print, warn } = init;
  const tally = new StreamTally();
  const sentAt = new Map<number, number>();
  const pending = new Map<number, SourceFrame["image"]>();
  const call = new AbortController();
  let inputEnded = false;
  let interrupted = false;
  let drainExpired = false;
  let drawn = 0;
  let drainTimer: NodeJS.Timeout | undefined;
  const armDrain = () => {
    if (!inputEnded) return;
    clearTimeout(drainTimer);
    drainTimer = setTimeout(() => {
      drainExpired = true;
      call.abort();
    }, init.drainMs);
  };

  const signals = init.signals ?? (["SIGINT", "SIGTERM"] as const);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      warn(`florence2 stream: second ${signal}: stopping without waiting for the answers`);
      call.abort();
      return;
    }
    interrupted = true;
    warn(`florence2 stream: ${signal}: no more frames; waiting for the answers still due (again to stop at once)`);
    void source.stop();
  };
  for (const s of signals) process.on(s, onSignal);

  async function* frames(): AsyncGenerator<FrameInput> {
    try {
      for await (const f of source.frames) {
        const now = performance.now();
        tally.frameSent(now);
        sentAt.set(f.index, now);
        if (sink !== undefined) pending.set(f.index, f.image);
        yield { frameId: f.index, timestampUs: f.timestampUs, image: f.image };
        if (interrupted) break;
      }
    } finally {
      inputEnded = true;
      armDrain();
    }
  }

  let failure: Error | undefined;
  try {
    for await (const answer of client.streamFrames(frames(), init.config, { signal: call.signal })) {
      const now = performance.now();
      armDrain();
      tally.answered(answer, now);
      const sent = sentAt.get(answer.frameId);
      sentAt.delete(answer.frameId);
      print(JSON.stringify(frameLine(answer, sent === undefined ? undefined : now - sent)));
      const image = pending.get(answer.frameId);
      pending.delete(answer.frameId);
      if (sink !== undefined && answer.kind === "result" && image !== undefined) {
        await sink.write(answer.frameId, await annotate(await framePng(image), answer.result));
        drawn += 1;
      }
    }
  } catch (e) {
    const answered = tally.results + tally.skipped + tally.errors;
    if (drainExpired)
      failure = new Error(
        `stopped waiting for ${tally.sent - answered} answers: none came for ${init.drainMs} ms (--drain-ms)`,
      );
    else if (interrupted && call.signal.aborted)
      failure = new Error(`stopped by a second signal: ${tally.sent - answered} frames went unanswered`);
    else failure = streamError(e, answered, init.serverLabel);
  } finally {
    clearTimeout(drainTimer);
    for (const s of signals) process.off(s, onSignal);
    await source.stop();
  }
  failure ??= source.failure();
  if (sink !== undefined) {
    if (failure !== undefined) await sink.abort();
    else {
      try {
        drawn = await sink.close();
      } catch (e) {
        failure = e as Error;
      }
    }
  }
  return { summary: tally.summary(sink === undefined ? undefined : drawn), failure, interrupted };
}
