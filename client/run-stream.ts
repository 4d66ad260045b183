/**
 * client.runStream: RunStream's messages as plain typed events. The server sends each image's
 * answer text so far at most once per `partialIntervalMs`, then the results Run would answer.
 */
import type { RunStreamResponse } from "../gen/florence/v1/florence_service_pb.js";
import { readUntilStopped } from "./early-stop.js";
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
 * stops iterating early (`break`), so the server stops decoding for a reader that is gone
 * (early-stop.ts). The result's timings also go to `onTimings`.
 */
export async function* runStreamEvents(
  open: (signal: AbortSignal) => AsyncIterable<RunStreamResponse>,
  options: { readonly signal?: AbortSignal | undefined; readonly onTimings?: ((timings: Timings) => void) | undefined },
): AsyncGenerator<RunStreamEvent> {
  for await (const response of readUntilStopped(open, options.signal)) {
    const event = toEvent(response, options.onTimings);
    if (event !== undefined) yield event;
  }
}

/** The event of one RunStream message; undefined for a message case this client does not know (a newer server). */
function toEvent(
  response: RunStreamResponse,
  onTimings: ((timings: Timings) => void) | undefined,
): RunStreamEvent | undefined {
  const m = response.message;
  if (m.case === "partial") {
    return {
      kind: "partial",
      imageIndex: m.value.imageIndex,
      text: m.value.text,
      generatedTokens: m.value.generatedTokens,
    };
  }
  if (m.case === "result") {
    const timings = fromTimings(m.value.timings);
    onTimings?.(timings);
    return { kind: "result", results: m.value.results.map(fromTaskResult), timings };
  }
  return undefined;
}
