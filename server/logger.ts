/**
 * Structured logs: one JSON object per line. Requests log one `request` entry each (streams: one
 * per stream, when it ends; also a unary request connect refuses before our handler, e.g. over
 * readMaxBytes: server/call-log.ts); server life-cycle and internal errors log their own entries. Tests
 * pass `silentLogger` or a collecting function.
 */
import type { Writable } from "node:stream";

/** Log levels, least severe first: `--log-level` drops entries below the one it names. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** One finished RPC. */
/**
 * A stream's frames by answer: `results` ran the model, `reused` were unchanged frames answered with
 * an earlier frame's result (StreamConfig.change_threshold), `skipped` and `errors` as answered.
 */
export interface FrameCounts {
  results: number;
  reused: number;
  skipped: number;
  errors: number;
}

export interface RequestLogEntry {
  readonly level: "info" | "warn" | "error";
  readonly msg: "request";
  /**
   * The request's id: the caller's `x-request-id` when it is sane (see server/request-id.ts), else
   * one made here; the response carries it in its `x-request-id` header.
   */
  readonly requestId: string;
  /** The W3C trace id (32 hex digits): the caller's `traceparent`, or the server's span when tracing is on. */
  readonly traceId?: string;
  /** The client connection, "address:port". */
  readonly peer: string;
  /** "florence.v1.FlorenceService/CaptionImage". */
  readonly method: string;
  /** "grpc", "grpc_web" or "connect". */
  readonly protocol: string;
  /** Who called: a token's name ("token#2" when unnamed) or "cert:CN=..."; absent without auth. */
  readonly caller?: string;
  /** Our task name(s), when the request named any. */
  readonly task?: string;
  /** The model the call ran on (its name), once the request named a valid one or left it unset. */
  readonly model?: string;
  /** Images in the request (streams: frames received). */
  readonly images: number;
  /** Image payload bytes (encoded or raw) in the request (streams: all frames). */
  readonly bytes: number;
  /** Time waiting for an engine slot, summed over engine calls. */
  readonly queueMs: number;
  /** Time inside the engine, summed over engine calls. */
  readonly modelMs: number;
  /** gRPC status name in snake case, e.g. "ok", "invalid_argument". */
  readonly code: string;
  /** Wall time of the whole call. */
  readonly durationMs: number;
  /** How a StreamFrames call's frames were answered (StreamFrames only). */
  readonly frames?: FrameCounts;
  /** The client-facing error message, when the call failed. */
  readonly error?: string;
  /** The server's read limit, when the call was refused for a message over it (RESOURCE_EXHAUSTED). */
  readonly readMaxBytes?: number;
  /** For server faults only: the hidden cause (stack), for operators. */
  readonly cause?: string;
}

/** A life-cycle event or an internal failure (with the cause that clients never see). */
export interface EventLogEntry {
  readonly level: LogLevel;
  readonly msg: string;
  readonly method?: string;
  readonly address?: string;
  /** The model an event is about (several models in one server). */
  readonly model?: string;
  /** For internal errors: the cause's stack or text, for operators only. */
  readonly cause?: string;
  /** "closed": connections that had to be destroyed because they did not close after GOAWAY. */
  readonly destroyedConnections?: number;
}

export type LogEntry = RequestLogEntry | EventLogEntry;

/** Receives every log entry; must not throw. */
export type Logger = (entry: LogEntry) => void;

/** Writes each entry as one JSON line with an ISO `time` first. */
export function jsonLineLogger(stream: Writable): Logger {
  return (entry) => {
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  };
}

/** `logger` without the entries below `level` (the logger itself when `level` is "debug"). */
export function atLevel(logger: Logger, level: LogLevel): Logger {
  const min = LOG_LEVELS.indexOf(level);
  if (min <= 0) return logger;
  return (entry) => {
    if (LOG_LEVELS.indexOf(entry.level) >= min) logger(entry);
  };
}

/** Drops everything (tests). */
export const silentLogger: Logger = () => {};

/** Causes of causes the log follows: enough for a wrapped loader error and its library error. */
const MAX_CAUSE_DEPTH = 5;

/**
 * Text of an unknown cause for the log: the stack when there is one, then its own causes', each
 * after "caused by: " (an error whose answer hid a path has the full message further down).
 */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && (depth === 0 || current !== undefined); depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}
