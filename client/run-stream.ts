/**
 * client.runStream: RunStream's messages as plain typed events. The server sends each image's
 * answer text so far at most once per `partialIntervalMs`, then the results Run would answer.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { RunStreamResponse } from "../gen/florence/v1/florence_service_pb.js";
import { fromTaskResult, fromTimings } from "./from-proto.js";
import type { RunOptions } from "./inputs.js";
import type { TaskResult, Timings } from "./results.js";

/** Options of runStream: run's, and how often the server may send partial texts. */
export interface RunStreamOptions extends RunOptions {
  /**
   * Least time between two partial texts of the same image, in ms; 0 sends one after every token
   * that changes the text. Default: the server's (100 ms). At most 60000.
   */
  readonly partialIntervalMs?: number;
}

/** An image's answer text so far. */
export interface PartialTextEvent {
  readonly kind: "partial";
  /** Which of the call's images, from 0. */
  readonly imageIndex: number;
  /**
   * Only grows, and is always a prefix of the final answer: of the result's `text` for text tasks,
   * of `rawText` without <s>, </s> and <pad> for the others. With beam search it holds only the
   * tokens every beam agrees on.
   */
  readonly text: string;
  /** Tokens generated so far for this image. */
  readonly generatedTokens: number;
}

/** The last event: one result per image, in order, as run() returns them. */
export interface RunResultEvent {
  readonly kind: "result";
  readonly results: readonly TaskResult[];
  readonly timings: Timings;
}

export type RunStreamEvent = PartialTextEvent | RunResultEvent;

/**
 * The events of the stream `open` starts with a signal: the caller's, also aborted when the caller
 * stops iterating early (`break`), which connect's own iterables do not do, so the server stops
 * decoding for a reader that is gone. The result's timings also go to `onTimings`.
 */
export async function* runStreamEvents(
  open: (signal: AbortSignal) => AsyncIterable<RunStreamResponse>,
  options: { readonly signal?: AbortSignal | undefined; readonly onTimings?: ((timings: Timings) => void) | undefined },
): AsyncGenerator<RunStreamEvent> {
  // Linked by hand rather than with AbortSignal.any, which older browsers lack.
  const stop = new AbortController();
  const callerAborted = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted === true) callerAborted();
  else options.signal?.addEventListener("abort", callerAborted, { once: true });
  let ended = false;
  try {
    for await (const event of toEvents(open(stop.signal), options.onTimings)) yield event;
    ended = true;
  } finally {
    options.signal?.removeEventListener("abort", callerAborted);
    // CANCELED, so the server sees a cancellation (another reason resets the HTTP/2 stream as an internal error).
    if (!ended) stop.abort(new ConnectError("the caller stopped reading the stream", Code.Canceled));
  }
}

async function* toEvents(
  responses: AsyncIterable<RunStreamResponse>,
  onTimings: ((timings: Timings) => void) | undefined,
): AsyncGenerator<RunStreamEvent> {
  for await (const response of responses) {
    const m = response.message;
    if (m.case === "partial") {
      yield {
        kind: "partial",
        imageIndex: m.value.imageIndex,
        text: m.value.text,
        generatedTokens: m.value.generatedTokens,
      };
    } else if (m.case === "result") {
      const timings = fromTimings(m.value.timings);
      onTimings?.(timings);
      yield { kind: "result", results: m.value.results.map(fromTaskResult), timings };
    }
    // A message case this client does not know (a newer server) is skipped.
  }
}
