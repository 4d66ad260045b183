/**
 * What `florence2 stream` prints on stdout: one JSON line per answered frame, then one summary
 * line. Pure: the tally counts answers, the line functions shape them.
 */
import type { FrameAnswer } from "../../client/index.js";

/** One frame's line: its id, timestamp, outcome and result (or why it was skipped, or its error). */
export function frameLine(answer: FrameAnswer, latencyMs: number | undefined): Record<string, unknown> {
  const head = {
    frame: answer.frameId,
    timestampUs: answer.timestampUs,
    outcome: answer.kind,
    task: answer.task,
    ...(latencyMs !== undefined ? { latencyMs: Math.round(latencyMs * 10) / 10 } : {}),
  };
  switch (answer.kind) {
    case "result":
      return {
        ...head,
        ...(answer.reusedFrom !== undefined ? { reusedFrom: answer.reusedFrom.frameId } : {}),
        result: answer.result,
      };
    case "skipped":
      return { ...head, reason: answer.reason, supersededBy: answer.supersededBy };
    case "error":
      return { ...head, error: answer.error };
  }
}

export interface StreamSummary {
  readonly summary: true;
  /** Frames read from the input and sent. */
  readonly sent: number;
  /** Frames the server answered (results + skipped + errors). */
  readonly answered: number;
  readonly results: number;
  /** Of `results`, answered with an earlier frame's result (--change-threshold), without running. */
  readonly reused: number;
  readonly skipped: number;
  readonly errors: number;
  /** Sent but never answered (the stream failed, or the drain after Ctrl-C ran out of time). */
  readonly unanswered: number;
  /** Wall time from the first frame sent to the last answer. */
  readonly seconds: number;
  /** Results per second over `seconds`: the rate the model kept up with. */
  readonly fps: number;
  /** Frames drawn into --draw's output, when given. */
  readonly drawn?: number;
}

export class StreamTally {
  sent = 0;
  results = 0;
  reused = 0;
  skipped = 0;
  errors = 0;
  private firstSentAt: number | undefined;
  private lastAnswerAt: number | undefined;

  /** Counts a frame sent at `now` (ms, monotonic). */
  frameSent(now: number): void {
    this.sent += 1;
    this.firstSentAt ??= now;
  }

  /** Counts an answer received at `now`. */
  answered(answer: FrameAnswer, now: number): void {
    if (answer.kind === "result") {
      this.results += 1;
      if (answer.reusedFrom !== undefined) this.reused += 1;
    } else if (answer.kind === "skipped") this.skipped += 1;
    else this.errors += 1;
    this.lastAnswerAt = now;
  }

  summary(drawn?: number): StreamSummary {
    const answered = this.results + this.skipped + this.errors;
    const ms =
      this.firstSentAt !== undefined && this.lastAnswerAt !== undefined
        ? Math.max(0, this.lastAnswerAt - this.firstSentAt)
        : 0;
    const seconds = Math.round(ms) / 1000;
    return {
      summary: true,
      sent: this.sent,
      answered,
      results: this.results,
      reused: this.reused,
      skipped: this.skipped,
      errors: this.errors,
      unanswered: Math.max(0, this.sent - answered),
      seconds,
      fps: seconds > 0 ? Math.round((this.results / seconds) * 100) / 100 : 0,
      ...(drawn !== undefined ? { drawn } : {}),
    };
  }
}
