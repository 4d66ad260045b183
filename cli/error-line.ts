/**
 * How the CLI prints an engine error on stderr: its kind and message, and for `internal` (a bug or
 * an onnxruntime failure, whose message says nothing more) the first link of its cause, so a
 * report can say what failed. The CLI runs on the user's own machine: the cause's message may be
 * shown there, unlike in a server's answers; its stack is not.
 */
import type { FlorenceError } from "../models/errors.js";

export function florenceErrorLine(e: FlorenceError): string {
  const line = `${e.kind}: ${e.message}`;
  if (e.kind !== "internal" || e.cause === undefined) return line;
  const cause = e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : String(e.cause);
  return `${line} (cause: ${cause})`;
}
