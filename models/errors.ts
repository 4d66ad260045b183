/**
 * The one error type of the engine. Every failure the engine reports is a FlorenceError with a
 * `kind`; the service maps kinds to gRPC status codes in exactly one place (server/errors.ts).
 * Messages are written for the caller: they say what was wrong and what to do instead, and never
 * contain library stack traces (those stay in `cause`, for logs).
 */
export type FlorenceErrorKind =
  /** Image bytes that cannot be decoded, zero-size, too many pixels, bad raw-pixel geometry. */
  | "invalid_image"
  /** A region that is outside the image, inverted, empty or not four finite numbers. */
  | "invalid_region"
  /** A task that needs a text input (phrase, caption, expression) got none or only whitespace. */
  | "missing_text"
  /** Any other bad argument: unknown task, absurd max_new_tokens, num_beams out of range, too many images. */
  | "invalid_argument"
  /** The model folder or hub repo is missing a file, or a file does not fit the ONNX contract. */
  | "model_load"
  /** A download failed or a downloaded file did not match its checksum. */
  | "download"
  /** The requested execution provider (cuda, webgpu) cannot be loaded on this machine. */
  | "provider_unavailable"
  /** The call carries no valid credential (bearer token or verified client certificate). */
  | "unauthenticated"
  /** The work queue is full; retry later. */
  | "queue_full"
  /** The engine is still loading, or is shutting down. */
  | "unavailable"
  /** The caller cancelled the request. */
  | "cancelled"
  /** The request's deadline passed before it finished. */
  | "deadline_exceeded"
  /** A bug or an onnxruntime failure; details are only in `cause`. */
  | "internal";

/** One offending input field, for google.rpc.BadRequest-style details. */
export interface FieldViolation {
  /** Dotted path of the field, e.g. "images[2]" or "region". */
  readonly field: string;
  readonly description: string;
}

export interface FlorenceErrorOptions {
  readonly cause?: unknown;
  readonly violations?: readonly FieldViolation[];
}

export class FlorenceError extends Error {
  override readonly name = "FlorenceError";
  readonly kind: FlorenceErrorKind;
  readonly violations: readonly FieldViolation[];

  constructor(kind: FlorenceErrorKind, message: string, options: FlorenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.violations = options.violations ?? [];
  }

  /** What JSON.stringify writes: kind, message and violations, never the cause (stacks hold paths). */
  toJSON(): SerializedFlorenceError {
    return { kind: this.kind, message: this.message, violations: [...this.violations] };
  }

  /**
   * Structured-clone safe form, for crossing the worker-thread boundary: toJSON's fields and the
   * cause chain as plain data (name, message, stack), so the log still says why an `internal`
   * error from a worker happened. Answers never carry the cause (server/errors.ts).
   */
  toWire(): SerializedFlorenceError {
    const cause = serializeCause(this.cause, MAX_CAUSE_DEPTH);
    return { ...this.toJSON(), ...(cause ? { cause } : {}) };
  }

  static fromWire(e: SerializedFlorenceError): FlorenceError {
    const cause = e.cause === undefined ? undefined : restoreCause(e.cause);
    return new FlorenceError(e.kind, e.message, { violations: e.violations, ...(cause ? { cause } : {}) });
  }
}

export interface SerializedFlorenceError {
  readonly kind: FlorenceErrorKind;
  readonly message: string;
  readonly violations: FieldViolation[];
  readonly cause?: SerializedCause;
}

/** An error of a cause chain as plain data. */
export interface SerializedCause {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: SerializedCause;
}

/** How many links of a cause chain cross a thread boundary. */
const MAX_CAUSE_DEPTH = 4;

function serializeCause(cause: unknown, depth: number): SerializedCause | undefined {
  if (cause === undefined || depth === 0) return undefined;
  if (!(cause instanceof Error)) return { name: "Error", message: String(cause) };
  const next = serializeCause(cause.cause, depth - 1);
  return {
    name: cause.name,
    message: cause.message,
    ...(cause.stack === undefined ? {} : { stack: cause.stack }),
    ...(next ? { cause: next } : {}),
  };
}

function restoreCause(data: SerializedCause): Error {
  const error = new Error(data.message, data.cause === undefined ? undefined : { cause: restoreCause(data.cause) });
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

/** Works across duplicated package copies and worker boundaries, unlike instanceof. */
export function isFlorenceError(e: unknown): e is FlorenceError {
  return e instanceof Error && e.name === "FlorenceError" && "kind" in e;
}

/** Wraps anything thrown into a FlorenceError; unknown failures become `internal` with the original kept as cause. */
export function toFlorenceError(e: unknown): FlorenceError {
  if (isFlorenceError(e)) return e;
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")) {
    return new FlorenceError(e.name === "TimeoutError" ? "deadline_exceeded" : "cancelled", e.message, { cause: e });
  }
  return new FlorenceError("internal", "internal error in the Florence-2 engine", { cause: e });
}

/**
 * The error a call fails with when one of its caller's callbacks (onTimings) throws: the caller's
 * bug, named, so it is not mistaken for an engine failure. Only that call fails.
 */
export function callbackError(callback: string, thrown: unknown): FlorenceError {
  const detail = thrown instanceof Error ? thrown.message : String(thrown);
  return new FlorenceError("invalid_argument", `the ${callback} callback threw: ${detail}`, { cause: thrown });
}
