/**
 * The rows of `florence2 serve`'s server-option flags: each flag's name, the ServerOptions field it
 * sets, how its value is read, its help line and its group in the help. cli/server-flags.ts builds
 * the parseArgs options, the parsing and the help from these rows.
 */
import type { ServerOptions } from "../server/options.js";

/** How a flag's text becomes its option's value. */
export type FlagKind =
  /** Any non-empty text (a host, a file path). */
  | "text"
  /** A TCP port, 0..65535. */
  | "port"
  /** A whole number >= 1. */
  | "positive"
  /** A whole number >= 0. */
  | "count"
  /** A switch without a value (in the environment: 1/true/yes or 0/false/no). */
  | "switch"
  /** Repeatable text (in the environment: comma-separated). */
  | "list";

type OptionOf<K extends FlagKind> = {
  [O in keyof ServerOptions]-?: K extends "text"
    ? ServerOptions[O] extends string | undefined
      ? O
      : never
    : K extends "switch"
      ? ServerOptions[O] extends boolean
        ? O
        : never
      : K extends "list"
        ? ServerOptions[O] extends readonly string[]
          ? O
          : never
        : ServerOptions[O] extends number | undefined
          ? O
          : never;
}[keyof ServerOptions];

export type ServerFlag = {
  [K in FlagKind]: {
    readonly flag: string;
    readonly kind: K;
    readonly option: OptionOf<K>;
    /** What it does; the default and the environment variable are appended by the help text. */
    readonly help: string;
    /** The help text's group heading. */
    readonly group: FlagGroup;
    /** The value's placeholder in the help, where FILE, HOST or N would mislead. */
    readonly value?: string;
  };
}[FlagKind];

export type FlagGroup =
  | "listen"
  | "models"
  | "operations"
  | "security"
  | "browsers"
  | "requests"
  | "streams"
  | "connections";

export const GROUP_TITLES: Readonly<Record<FlagGroup, string>> = {
  listen: "where it listens",
  operations: "logs, metrics and traces",
  models: 'several models in one server (docs/ARCHITECTURE.md, README "Several models")',
  security: "TLS and authentication (SIGHUP re-reads the certificate files and the tokens file)",
  browsers: "browsers on other origins (Connect and gRPC-Web)",
  requests: "what one request may ask for, and how many run or wait",
  streams: "StreamFrames",
  connections: "connections",
};

export const SERVER_FLAGS: readonly ServerFlag[] = [
  {
    group: "models",
    flag: "default-model",
    kind: "text",
    option: "defaultModel",
    value: "NAME",
    help: "the model requests without a model field run on; default: the first --model",
  },
  {
    group: "models",
    flag: "preload",
    kind: "switch",
    option: "preloadModels",
    help: "load every model at start (default: the default model at start, the others on their first request)",
  },
  {
    group: "models",
    flag: "max-loaded-models",
    kind: "count",
    option: "maxLoadedModels",
    help: "most models loaded at once; the least recently used idle one is unloaded; 0 = no limit",
  },
  {
    group: "models",
    flag: "model-memory-mb",
    kind: "count",
    option: "modelMemoryMb",
    value: "MB",
    help: "most MiB of loaded models, each counted as its ONNX files' size on disk times its --workers; the least recently used idle one is unloaded; 0 = no limit",
  },
  {
    group: "listen",
    flag: "host",
    kind: "text",
    option: "host",
    help: "interface to listen on; any but loopback needs TLS or tokens, or --insecure",
  },
  { group: "listen", flag: "port", kind: "port", option: "port", help: "TCP port; 0 picks a free one" },
  {
    group: "listen",
    flag: "shutdown-grace-ms",
    kind: "count",
    option: "shutdownGraceMs",
    help: "on SIGTERM, how long calls in flight may finish before they are aborted",
  },
  {
    group: "listen",
    flag: "shutdown-delay-ms",
    kind: "count",
    option: "shutdownDelayMs",
    help: "on SIGTERM, how long new calls are still answered after health turns NOT_SERVING, so load balancers can stop sending first",
  },
  {
    group: "operations",
    flag: "log-level",
    kind: "text",
    option: "logLevel",
    value: "debug|info|warn|error",
    help: "log entries below this level are dropped",
  },
  {
    group: "operations",
    flag: "metrics-port",
    kind: "port",
    option: "metricsPort",
    help: "a second, plain-HTTP port serving only GET /metrics, /healthz and /readyz (the serving port answers them too)",
  },
  {
    group: "operations",
    flag: "otlp-endpoint",
    kind: "text",
    option: "otlpEndpoint",
    value: "URL",
    help: "OTLP/HTTP collector, e.g. http://127.0.0.1:4318: every RPC is traced (also read from OTEL_EXPORTER_OTLP_ENDPOINT)",
  },
  {
    group: "security",
    flag: "tls-cert",
    kind: "text",
    option: "tlsCertFile",
    help: "PEM certificate chain: the port speaks TLS only (h2 and HTTP/1.1 by ALPN)",
  },
  { group: "security", flag: "tls-key", kind: "text", option: "tlsKeyFile", help: "PEM private key of --tls-cert" },
  {
    group: "security",
    flag: "tls-client-ca",
    kind: "text",
    option: "tlsClientCaFile",
    help: "PEM CA: every client must present a certificate it signed (mutual TLS); without --auth-tokens-file that certificate authenticates the calls",
  },
  {
    group: "security",
    flag: "auth-tokens-file",
    kind: "text",
    option: "authTokensFile",
    help: 'one bearer token per line ("name:token" or the token alone; # comments): every call needs "authorization: Bearer <token>"',
  },
  {
    group: "security",
    flag: "auth-health",
    kind: "switch",
    option: "authHealth",
    help: "the health service needs credentials too",
  },
  {
    group: "security",
    flag: "auth-reflection",
    kind: "switch",
    option: "authReflection",
    help: "server reflection needs credentials too",
  },
  {
    group: "browsers",
    flag: "cors-allow-origin",
    kind: "list",
    option: "corsAllowedOrigins",
    help: 'an origin whose pages may call the server, e.g. https://app.example.com (repeat the flag for more; "*" = any origin, for development only)',
  },
  {
    group: "browsers",
    flag: "ui",
    kind: "switch",
    option: "ui",
    help: "serve a page to try the service at /ui/ (GET / redirects there); same origin, so it needs no CORS",
  },
  {
    group: "browsers",
    flag: "ui-dir",
    kind: "text",
    value: "DIR",
    option: "uiDir",
    help: "folder of a page built by tools/build-ui.mjs to serve with --ui instead of the package's own",
  },
  {
    group: "requests",
    flag: "read-max-bytes",
    kind: "positive",
    option: "readMaxBytes",
    help: "largest request message in bytes (RESOURCE_EXHAUSTED beyond)",
  },
  {
    group: "requests",
    flag: "max-images-per-request",
    kind: "positive",
    option: "maxImagesPerRequest",
    help: "images in one request",
  },
  {
    group: "requests",
    flag: "max-tasks-per-request",
    kind: "positive",
    option: "maxTasksPerRequest",
    help: "tasks in one RunTasks request",
  },
  {
    group: "requests",
    flag: "max-request-megapixels",
    kind: "positive",
    option: "maxRequestMegapixels",
    help: "decoded pixels of one request or stream frame, summed over its images from their headers (INVALID_ARGUMENT beyond)",
  },
  {
    group: "requests",
    flag: "max-num-beams",
    kind: "positive",
    option: "maxNumBeams",
    help: "largest num_beams a request may ask for",
  },
  {
    group: "requests",
    flag: "max-new-tokens-limit",
    kind: "positive",
    option: "maxNewTokens",
    help: "largest max_new_tokens a request may ask for (the model's decoder positions cap it too)",
  },
  {
    group: "requests",
    flag: "max-concurrent-requests",
    kind: "positive",
    option: "maxConcurrentRequests",
    help: "engine calls (requests and stream frames) running at once",
  },
  {
    group: "requests",
    flag: "max-queued-requests",
    kind: "count",
    option: "maxQueuedRequests",
    help: "engine calls waiting for a slot; beyond, RESOURCE_EXHAUSTED at once (also when the estimated wait exceeds the caller's deadline)",
  },
  {
    group: "streams",
    flag: "max-concurrent-streams",
    kind: "count",
    option: "maxConcurrentStreams",
    help: "open StreamFrames calls",
  },
  {
    group: "streams",
    flag: "max-frames-in-flight-per-stream",
    kind: "positive",
    option: "maxFramesInFlightPerStream",
    help: "largest StreamConfig.max_in_flight",
  },
  {
    group: "streams",
    flag: "stream-config-timeout-ms",
    kind: "positive",
    option: "streamConfigTimeoutMs",
    help: "a stream must send its StreamConfig within this, else it ends with DEADLINE_EXCEEDED",
  },
  {
    group: "streams",
    flag: "stream-idle-timeout-ms",
    kind: "positive",
    option: "streamIdleTimeoutMs",
    help: "a stream with every frame answered and no new frame for this long ends with DEADLINE_EXCEEDED",
  },
  {
    group: "connections",
    flag: "max-connections",
    kind: "positive",
    option: "maxConnections",
    help: "open connections; more are closed at once",
  },
  {
    group: "connections",
    flag: "max-streams-per-connection",
    kind: "positive",
    option: "maxStreamsPerConnection",
    help: "HTTP/2 concurrent streams per connection",
  },
  {
    group: "connections",
    flag: "headers-timeout-ms",
    kind: "positive",
    option: "headersTimeoutMs",
    help: "time for a new connection's handshake and first request headers",
  },
  {
    group: "connections",
    flag: "request-timeout-ms",
    kind: "positive",
    option: "requestTimeoutMs",
    help: "HTTP/1.1: time for a whole request to arrive",
  },
  {
    group: "connections",
    flag: "idle-connection-timeout-ms",
    kind: "positive",
    option: "idleConnectionTimeoutMs",
    help: "a connection with no call in flight is closed after this",
  },
  {
    group: "connections",
    flag: "keepalive-min-interval-ms",
    kind: "count",
    option: "keepaliveMinIntervalMs",
    help: "client PINGs closer together than this are strikes; the third gets GOAWAY ENHANCE_YOUR_CALM",
  },
];
