/**
 * Server options: one interface with every field documented, a frozen defaults object, and one
 * merge function that checks ranges (style-lessons L5). The CLI parses flags and environment
 * variables into a Partial<ServerOptions>; nothing else reads the environment.
 */
import type { Logger } from "./logger.js";
import { jsonLineLogger } from "./logger.js";

export interface ServerOptions {
  /** Interface to listen on. Default "127.0.0.1"; use "0.0.0.0" (or "::") to accept remote clients. */
  readonly host: string;
  /** TCP port; 0 picks a free port (see FlorenceServer.listen's result). Default 50051. */
  readonly port: number;
  /**
   * Largest request message in bytes; larger messages fail with RESOURCE_EXHAUSTED before any
   * handler runs. Default 64 MiB: a 4K RGBA PNG or raw 4K RGB frame (~25 MB) fits with room.
   */
  readonly readMaxBytes: number;
  /** Most images in one request; more is INVALID_ARGUMENT. Default 16. */
  readonly maxImagesPerRequest: number;
  /** Most tasks in one RunTasks request; more is INVALID_ARGUMENT. Default 16. */
  readonly maxTasksPerRequest: number;
  /**
   * Engine calls (unary requests and stream frames) the server runs at once; the engine may batch
   * them. Default 32.
   */
  readonly maxConcurrentRequests: number;
  /**
   * Engine calls that may wait for a free slot; beyond this, requests fail at once with
   * RESOURCE_EXHAUSTED (and stream frames get a per-frame RESOURCE_EXHAUSTED answer). Default 256.
   */
  readonly maxQueuedRequests: number;
  /** Open StreamFrames calls; one more fails with RESOURCE_EXHAUSTED. Default 64. */
  readonly maxConcurrentStreams: number;
  /** Largest StreamConfig.max_in_flight a client may ask for. Default 8. */
  readonly maxFramesInFlightPerStream: number;
  /** Largest GenerationOptions.num_beams. Default 8. */
  readonly maxNumBeams: number;
  /** Largest GenerationOptions.max_new_tokens. Default 4096 (Roboflow's default and cap). */
  readonly maxNewTokens: number;
  /** Grace period of close() when the caller gives none, in ms. Default 10 000. */
  readonly shutdownGraceMs: number;
  /** Where the one-line-per-request JSON logs go. Default: JSON lines on stderr. */
  readonly logger: Logger;
}

export const DEFAULT_SERVER_OPTIONS: Readonly<ServerOptions> = Object.freeze({
  host: "127.0.0.1",
  port: 50051,
  readMaxBytes: 64 * 1024 * 1024,
  maxImagesPerRequest: 16,
  maxTasksPerRequest: 16,
  maxConcurrentRequests: 32,
  maxQueuedRequests: 256,
  maxConcurrentStreams: 64,
  maxFramesInFlightPerStream: 8,
  maxNumBeams: 8,
  maxNewTokens: 4096,
  shutdownGraceMs: 10_000,
  logger: jsonLineLogger(process.stderr),
});

type IntegerOption = Exclude<keyof ServerOptions, "host" | "logger">;

/** Smallest accepted value of each numeric option (all must be integers). */
const MINIMUM: Readonly<Record<IntegerOption, number>> = {
  port: 0,
  readMaxBytes: 1,
  maxImagesPerRequest: 1,
  maxTasksPerRequest: 1,
  maxConcurrentRequests: 1,
  maxQueuedRequests: 0,
  maxConcurrentStreams: 0,
  maxFramesInFlightPerStream: 1,
  maxNumBeams: 1,
  maxNewTokens: 1,
  shutdownGraceMs: 0,
};

/** Largest accepted values where the protocol imposes one. */
const MAXIMUM: Readonly<Partial<Record<IntegerOption, number>>> = {
  port: 65_535,
  // connect-node's readMaxBytes is capped at 0xffffffff (the gRPC length prefix is 32 bits).
  readMaxBytes: 0xffff_ffff,
};

/**
 * Merges `options` over the defaults. Throws TypeError for a non-integer or an empty host and
 * RangeError for a value out of range, naming the option.
 */
export function makeServerOptions(options: Partial<ServerOptions> = {}): Readonly<ServerOptions> {
  const merged: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...options };
  if (typeof merged.host !== "string" || merged.host === "") {
    throw new TypeError(`ServerOptions.host must be a non-empty string, got ${JSON.stringify(merged.host)}`);
  }
  for (const key of Object.keys(MINIMUM) as IntegerOption[]) {
    const value = merged[key];
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`ServerOptions.${key} must be an integer, got ${String(value)}`);
    }
    const min = MINIMUM[key];
    const max = MAXIMUM[key] ?? Number.MAX_SAFE_INTEGER;
    if (value < min || value > max) {
      throw new RangeError(`ServerOptions.${key} must be between ${min} and ${max}, got ${value}`);
    }
  }
  return Object.freeze(merged);
}
