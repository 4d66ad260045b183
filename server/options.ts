/**
 * Server options: one interface with every field documented, a frozen defaults object, and one
 * merge function that checks ranges, so a bad value fails at startup rather than in a call. The CLI
 * (cli/server-flags.ts) parses flags and FLORENCE2_* variables into a Partial<ServerOptions>; the
 * server itself reads no environment variable.
 */
import type { TracerProvider } from "@opentelemetry/api";
import { corsOriginProblem } from "./cors.js";
import type { Logger, LogLevel } from "./logger.js";
import { jsonLineLogger, LOG_LEVELS } from "./logger.js";

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
  /**
   * Largest GenerationOptions.max_new_tokens. Default 4096 (Roboflow's default and cap). The
   * model's own cap (its decoder positions, 1024 for florence-2) applies too: the effective limit,
   * reported in ServerLimits, is the smaller of the two.
   */
  readonly maxNewTokens: number;
  // --- Model work per request (limits that keep one request from holding the engine) ---
  /**
   * Most decoded pixels one request (or one stream frame) may carry, in megapixels (10^6), summed
   * over its images as their headers declare them; more is INVALID_ARGUMENT before any image is
   * decoded. Decoding and resizing cost about 60 ms of worker time per megapixel on two cores
   * (16 JPEGs of 6000x6000 took 33 s), so the default 64 allows sixteen 4-megapixel photos (about
   * 4 s of decoding) while refusing requests that would hold the worker for half a minute.
   */
  readonly maxRequestMegapixels: number;
  // --- Several models (see server/model-registry.ts) ---
  /** The model requests without a `model` field run on. Default: the first model given. */
  readonly defaultModel: string | undefined;
  /** Load every model at start. Default false: the default model at start, the others on first use. */
  readonly preloadModels: boolean;
  /** Most models loaded at once; the least recently used idle one is unloaded. Default 0: no limit. */
  readonly maxLoadedModels: number;
  /**
   * Most MiB of model files (the ONNX files each model loaded, as on disk) loaded at once; the
   * least recently used idle model is unloaded. Default 0: no limit.
   */
  readonly modelMemoryMb: number;
  // --- Browsers (see server/cors.ts) ---
  /**
   * Origins whose pages may call the server from a browser (Connect and gRPC-Web), each exactly
   * as browsers send it ("https://app.example.com"), or "*" for any origin (development only: any
   * page a user opens could then use the service with that user's network access). Default none:
   * no CORS headers, preflights refused.
   */
  readonly corsAllowedOrigins: readonly string[];
  /** Serve the "try it" page at /ui/ (server/ui-assets.ts); GET / redirects there. Default false. */
  readonly ui: boolean;
  /** Folder of the built page (tools/build-ui.mjs output). Default undefined: the package's dist/ui. */
  readonly uiDir: string | undefined;
  // --- Transport security and authentication (see server/tls.ts and server/auth.ts) ---
  /** PEM certificate chain file; with tlsKeyFile, the port speaks TLS only. Default none (cleartext). */
  readonly tlsCertFile: string | undefined;
  /** PEM private key file of tlsCertFile. Default none. */
  readonly tlsKeyFile: string | undefined;
  /**
   * PEM CA bundle file; set, every client must present a certificate that chains to it (mutual
   * TLS); without authTokensFile, that verified certificate authenticates its calls. Default none.
   */
  readonly tlsClientCaFile: string | undefined;
  /**
   * File of bearer tokens (one per line, optionally "name:token"; `#` comments); set, every call
   * needs `authorization: Bearer <token>`. Re-read by FlorenceServer.reload(). Default none.
   */
  readonly authTokensFile: string | undefined;
  /** grpc.health.v1 needs a credential too. Default false: load balancers probe without one. */
  readonly authHealth: boolean;
  /** Server reflection needs a credential too. Default false: it only describes the public API. */
  readonly authReflection: boolean;
  // --- Connection limits (see server/listener.ts) ---
  /** Open connections; new ones beyond it are closed at once (logged, rate-limited). Default 1024. */
  readonly maxConnections: number;
  /**
   * Time a connection has to finish its TLS handshake and send its first complete request headers
   * (HTTP/2: preface and first stream), and Node's HTTP/1 headersTimeout for later requests, in
   * ms. Default 10 000: real clients need milliseconds; silent or half-sent connections go.
   */
  readonly headersTimeoutMs: number;
  /** HTTP/1.1: time for a whole request (headers and body) to arrive, in ms. Default 300 000. */
  readonly requestTimeoutMs: number;
  /**
   * A connection with no call in flight for this long is closed (HTTP/2: GOAWAY; HTTP/1.1: the
   * keep-alive timeout), in ms. Default 120 000; clients reconnect on their next call.
   */
  readonly idleConnectionTimeoutMs: number;
  /**
   * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of each connection. Default 1000: above what admission
   * lets wait (maxConcurrentRequests + maxQueuedRequests + maxConcurrentStreams), so overload is
   * answered with RESOURCE_EXHAUSTED instead of streams queueing unseen in clients.
   */
  readonly maxStreamsPerConnection: number;
  /**
   * Client PINGs closer together than this (without responses in between) are strikes; the third
   * gets GOAWAY ENHANCE_YOUR_CALM, like grpc-go's enforcement policy. In ms. Default 300 000
   * (grpc-go's and gRPC C-core's MinTime): clients' keepalive time must be at least this.
   */
  readonly keepaliveMinIntervalMs: number;
  // --- Stream limits (see server/stream-frames.ts): no stream holds a stream slot doing nothing ---
  /**
   * Time a StreamFrames call has to send its StreamConfig after it opens, in ms; a stream that
   * has not sent it by then ends with DEADLINE_EXCEEDED and frees its slot. Default 10 000.
   */
  readonly streamConfigTimeoutMs: number;
  /**
   * A StreamFrames call that sends no frame for this long while it has nothing in flight (every
   * frame answered) ends with DEADLINE_EXCEEDED and frees its slot, in ms. Default 60 000.
   */
  readonly streamIdleTimeoutMs: number;
  /** Grace period of close() when the caller gives none, in ms. Default 10 000. */
  readonly shutdownGraceMs: number;
  /**
   * On close, how long the server keeps answering new calls after it has turned NOT_SERVING
   * (grpc.health.v1 and GET /readyz), before the drain refuses them: the time load balancers need
   * to notice and stop sending, in ms. Default 0 (drain at once); behind a load balancer that
   * polls readiness, its polling interval times its failure threshold.
   */
  readonly shutdownDelayMs: number;
  /** Where the one-line-per-request JSON logs go. Default: JSON lines on stderr. */
  readonly logger: Logger;
  // --- Operations (see server/metrics.ts, server/tracing.ts, server/http-endpoints.ts) ---
  /** Entries below this level are dropped: "debug", "info", "warn" or "error". Default "info". */
  readonly logLevel: LogLevel;
  /**
   * A second, plain-HTTP port (on `host`) that serves GET /metrics, /healthz and /readyz only,
   * for a Prometheus or a kubelet that cannot speak the serving port's TLS. The serving port
   * answers the same paths either way. Default none.
   */
  readonly metricsPort: number | undefined;
  /**
   * OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318): set, every RPC is traced and its
   * spans exported to `<url>/v1/traces`. Default none: tracing off, no SDK started.
   */
  readonly otlpEndpoint: string | undefined;
  /**
   * A tracer provider of the embedding application (or a test's in-memory one) to trace with
   * instead of starting one for otlpEndpoint; the application flushes and shuts it down. Default none.
   */
  readonly tracerProvider: TracerProvider | undefined;
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
  maxRequestMegapixels: 64,
  defaultModel: undefined,
  preloadModels: false,
  maxLoadedModels: 0,
  modelMemoryMb: 0,
  corsAllowedOrigins: Object.freeze([]),
  ui: false,
  uiDir: undefined,
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
  tlsClientCaFile: undefined,
  authTokensFile: undefined,
  authHealth: false,
  authReflection: false,
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  idleConnectionTimeoutMs: 120_000,
  maxStreamsPerConnection: 1000,
  keepaliveMinIntervalMs: 300_000,
  streamConfigTimeoutMs: 10_000,
  streamIdleTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  shutdownDelayMs: 0,
  logger: jsonLineLogger(process.stderr),
  logLevel: "info",
  metricsPort: undefined,
  otlpEndpoint: undefined,
  tracerProvider: undefined,
});

/** Options that are not integers: checked by makeServerOptions on their own. */
type OtherOption =
  | "host"
  | "logger"
  | "corsAllowedOrigins"
  | "ui"
  | "uiDir"
  | "tlsCertFile"
  | "tlsKeyFile"
  | "tlsClientCaFile"
  | "authTokensFile"
  | "authHealth"
  | "authReflection"
  | "defaultModel"
  | "preloadModels"
  | "logLevel"
  | "metricsPort"
  | "otlpEndpoint"
  | "tracerProvider";

type IntegerOption = Exclude<keyof ServerOptions, OtherOption>;

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
  maxRequestMegapixels: 1,
  maxLoadedModels: 0,
  modelMemoryMb: 0,
  maxConnections: 1,
  headersTimeoutMs: 1,
  requestTimeoutMs: 1,
  idleConnectionTimeoutMs: 1,
  maxStreamsPerConnection: 1,
  keepaliveMinIntervalMs: 0,
  streamConfigTimeoutMs: 1,
  streamIdleTimeoutMs: 1,
  shutdownGraceMs: 0,
  shutdownDelayMs: 0,
};

/** Largest accepted values where the protocol imposes one. */
const MAXIMUM: Readonly<Partial<Record<IntegerOption, number>>> = {
  port: 65_535,
  // connect-node's readMaxBytes is capped at 0xffffffff (the gRPC length prefix is 32 bits).
  readMaxBytes: 0xffff_ffff,
  // Node's timers hold at most 2^31 - 1 ms; HTTP/2 settings are 32-bit.
  headersTimeoutMs: 0x7fff_ffff,
  requestTimeoutMs: 0x7fff_ffff,
  idleConnectionTimeoutMs: 0x7fff_ffff,
  maxStreamsPerConnection: 0xffff_ffff,
  streamConfigTimeoutMs: 0x7fff_ffff,
  streamIdleTimeoutMs: 0x7fff_ffff,
  shutdownDelayMs: 0x7fff_ffff,
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
  for (const key of ["tlsCertFile", "tlsKeyFile", "tlsClientCaFile", "authTokensFile", "uiDir"] as const) {
    const value = merged[key];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new TypeError(`ServerOptions.${key} must be a file path or undefined, got ${JSON.stringify(value)}`);
    }
  }
  if (!Array.isArray(merged.corsAllowedOrigins)) {
    throw new TypeError(
      `ServerOptions.corsAllowedOrigins must be an array of origins, got ${JSON.stringify(merged.corsAllowedOrigins)}`,
    );
  }
  for (const origin of merged.corsAllowedOrigins) {
    const problem =
      typeof origin === "string" ? corsOriginProblem(origin) : `${JSON.stringify(origin)} is not a string`;
    if (problem !== undefined) throw new TypeError(`ServerOptions.corsAllowedOrigins: ${problem}`);
  }
  checkOperationsOptions(merged);
  for (const key of ["authHealth", "authReflection", "preloadModels", "ui"] as const) {
    if (typeof merged[key] !== "boolean")
      throw new TypeError(`ServerOptions.${key} must be true or false, got ${String(merged[key])}`);
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

/** The checks of the operations block: log level, metrics port, OTLP endpoint. */
function checkOperationsOptions(merged: ServerOptions): void {
  if (!(LOG_LEVELS as readonly string[]).includes(merged.logLevel)) {
    throw new TypeError(
      `ServerOptions.logLevel must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(merged.logLevel)}`,
    );
  }
  const port = merged.metricsPort;
  if (port !== undefined && (!Number.isSafeInteger(port) || port < 0 || port > 65_535)) {
    throw new RangeError(
      `ServerOptions.metricsPort must be a port between 0 and 65535 or undefined, got ${String(port)}`,
    );
  }
  const endpoint = merged.otlpEndpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(String(endpoint))) {
    throw new TypeError(
      `ServerOptions.otlpEndpoint must be an http(s) URL such as http://127.0.0.1:4318, got ${JSON.stringify(endpoint)}`,
    );
  }
}
