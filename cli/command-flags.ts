/**
 * The flags of `run`, `serve` and `call` that are not server options (those are in
 * server-flags.ts): the model and engine flags `run` and `serve` share, the request flags `run` and
 * `call` share, `call`'s connection flags and --partials, and `serve`'s --retry-load. Each row is read by
 * flag-table.ts (command line first, then FLORENCE2_<FLAG>), and the help is generated from it.
 */
import { engineDefaults, type EngineOptionsInit } from "../models/index.js";
import { parseCount, parseDevice, parseDtype, parsePositiveInt, UsageError } from "./args.js";
import { MAX_PARTIAL_INTERVAL_MS } from "../server/run-stream.js";
import { type FlagSpec, readSwitch, readText } from "./flag-table.js";

type Env = Readonly<Record<string, string | undefined>>;
type Values = Readonly<Record<string, unknown>>;
type EngineSettings = { -readonly [K in keyof EngineOptionsInit]?: EngineOptionsInit[K] };

/** A model flag: its row, and the engine option its value sets. */
interface ModelFlag extends FlagSpec {
  readonly set: (raw: string | boolean, into: EngineSettings) => void;
}

const MIB = 1024 * 1024;

/** A parser's result for a value that was given (parsers return undefined only for undefined input). */
function given<T>(value: T | undefined): T {
  if (value === undefined) throw new UsageError("a flag's value is missing");
  return value;
}

export const MODEL_FLAGS: readonly ModelFlag[] = [
  {
    flag: "model",
    value: "DIR|ID",
    help: "required: a local folder in the onnx-community layout, florence-2-base, florence-2-large (or -ft), or a hub repo owner/name (test/fixtures/tiny: a random-weight model for smoke tests)",
    set: (raw, into) => {
      into.model = String(raw);
    },
  },
  {
    flag: "dtype",
    value: "fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4",
    help: "precision of the ONNX files",
    default: engineDefaults.dtype,
    set: (raw, into) => {
      into.dtype = given(parseDtype(String(raw)));
    },
  },
  {
    flag: "device",
    value: "cpu|cuda|webgpu",
    help: "execution provider (cuda: run `npx florence2 gpu-install` once first, in a clone `npm run gpu:install`; docs/gpu.md)",
    default: engineDefaults.executionProvider,
    set: (raw, into) => {
      into.executionProvider = given(parseDevice(String(raw)));
    },
  },
  {
    flag: "revision",
    value: "REV",
    help: "branch, tag or commit of a hub repo",
    default: engineDefaults.revision,
    set: (raw, into) => {
      into.revision = String(raw);
    },
  },
  {
    flag: "cache-dir",
    value: "DIR",
    env: "FLORENCE2_CACHE",
    help: "where hub downloads are kept (resumed, reused offline)",
    default: "~/.cache/florence2",
    set: (raw, into) => {
      into.cacheDir = String(raw);
    },
  },
  {
    flag: "offline",
    help: "never use the network: local folders and hub files already in the cache only (HF_HUB_OFFLINE=1 does the same)",
    set: (raw, into) => {
      // Only switched on here: an unset flag leaves HF_HUB_OFFLINE to the hub client.
      if (raw === true) into.offline = true;
    },
  },
  {
    flag: "threads",
    value: "N",
    help: "onnxruntime intra-op threads per worker; 0 = all cores",
    default: String(engineDefaults.intraOpNumThreads),
    set: (raw, into) => {
      into.intraOpNumThreads = given(parseCount("--threads", String(raw)));
    },
  },
  {
    flag: "workers",
    value: "N",
    help: "inference worker threads, each with its own copy of the model",
    default: String(engineDefaults.workers),
    set: (raw, into) => {
      into.workers = given(parsePositiveInt("--workers", String(raw)));
    },
  },
  {
    flag: "preprocess-workers",
    value: "N",
    help: "threads that decode and resize images before calls reach the inference workers; 0 = the inference workers decode",
    default: "one per 8 cores, 1 to 4",
    set: (raw, into) => {
      into.preprocessWorkers = given(parseCount("--preprocess-workers", String(raw)));
    },
  },
  {
    flag: "max-batch-size",
    value: "N",
    help: "decoder rows batched together across calls (a beam-search call counts its beams); 1 = no batching",
    default: String(engineDefaults.maxBatchSize),
    set: (raw, into) => {
      into.maxBatchSize = given(parsePositiveInt("--max-batch-size", String(raw)));
    },
  },
  {
    flag: "max-delay-ms",
    value: "N",
    help: "how long a call may wait for others to join its batch",
    default: String(engineDefaults.maxDelayMs),
    set: (raw, into) => {
      into.maxDelayMs = given(parseCount("--max-delay-ms", String(raw)));
    },
  },
  {
    flag: "batch-formation-ms",
    value: "N",
    help: "how long a call may wait for a burst whose images are still being decoded to join its batch (0 = --max-delay-ms only)",
    default: String(engineDefaults.batchFormationMs),
    set: (raw, into) => {
      into.batchFormationMs = given(parseCount("--batch-formation-ms", String(raw)));
    },
  },
  {
    flag: "vision-cache-mb",
    value: "N",
    help: "MiB of vision-encoder outputs kept per worker for reuse; 0 disables",
    default: String(engineDefaults.visionCacheBytes / MIB),
    set: (raw, into) => {
      into.visionCacheBytes = given(parseCount("--vision-cache-mb", String(raw))) * MIB;
    },
  },
];

/** The variables the hub client reads itself (models/hub/model-source.ts), with what they do. */
export const HUB_ENVIRONMENT: readonly { readonly name: string; readonly help: string }[] = [
  {
    name: "HF_TOKEN",
    help: "hub access token for private or gated repos (sent only to the hub, never logged; there is no flag, so it stays out of argv)",
  },
  { name: "HF_ENDPOINT", help: "hub address, for a mirror (default https://huggingface.co)" },
  { name: "HF_HUB_OFFLINE", help: "1 or true: as --offline" },
  { name: "FLORENCE2_CACHE", help: "download cache folder: --cache-dir's variable" },
];

/** Every model flag read from `values`, else from the environment, as engine options (model required). */
export function engineSettings(values: Values, env: Env): EngineOptionsInit {
  const into: EngineSettings = {};
  for (const f of MODEL_FLAGS) {
    const raw = f.value === undefined ? readSwitch(values, f, env) : readText(values, f, env);
    if (raw !== undefined) f.set(raw, into);
  }
  const { model, ...rest } = into;
  if (model === undefined)
    throw new UsageError("--model is required: a local model folder, florence-2-base, florence-2-large, or owner/name");
  return { model, ...rest };
}

/** What `run` and `call` send: the task, its inputs and the decoding limits; and where to draw the result. */
export const REQUEST_FLAGS: readonly FlagSpec[] = [
  { flag: "task", value: "TOKEN", help: 'required: the task token, e.g. "<CAPTION>", "<OD>", "<OCR_WITH_REGION>"' },
  { flag: "image", value: "FILE", multiple: true, help: "required: an image file; several give one result each" },
  { flag: "text", value: "T", help: "the task's text input (phrase, expression, category)" },
  { flag: "region", value: "x1,y1,x2,y2", help: "the task's region, in image pixels" },
  { flag: "num-beams", value: "N", help: "beams for beam search; 1 = greedy", default: "3" },
  {
    flag: "max-new-tokens",
    value: "N",
    help: "most tokens generated (a random-weight model never ends early, so cap it in smoke tests)",
    default: "1024",
  },
  {
    flag: "draw",
    value: "FILE",
    help: "also write the image with the result drawn on it (.png, .jpg or .webp); several images: FILE-1.png, FILE-2.png, ... in --image order",
  },
];

/** `call`'s connection flags (FLORENCE2_TOKEN keeps the token out of argv and shell history). */
export const CALL_FLAGS: readonly FlagSpec[] = [
  { flag: "url", value: "URL", help: "the server; https:// speaks TLS", default: "http://127.0.0.1:50051" },
  { flag: "protocol", value: "grpc|grpc-web|connect", help: "the wire protocol", default: "grpc" },
  {
    flag: "token",
    value: "T",
    help: "bearer token for a server started with --auth-tokens-file (prefer the variable)",
  },
  { flag: "ca", value: "FILE", help: "PEM CA that signed the server's certificate (a private CA)" },
  { flag: "cert", value: "FILE", help: "PEM client certificate, for mutual TLS (with --key)" },
  { flag: "key", value: "FILE", help: "PEM private key of --cert" },
];

/** `call`'s switch to RunStream: the answer text as it is generated, then the result. */
export const CALL_PARTIALS_FLAGS: readonly FlagSpec[] = [
  {
    flag: "partials",
    help: 'print the answer text as it is generated (RunStream), one JSON line {"partial": TEXT, "tokens": N} each time it grows, then the result as without it; one --image only. TEXT only grows and is a prefix of the answer: of "text" for text tasks, of "rawText" without <s>, </s> and <pad> for the others',
  },
  {
    flag: "partial-interval-ms",
    value: "N",
    help: `with --partials: least time between two partial lines; 0 = after every token that changes the text; at most ${MAX_PARTIAL_INTERVAL_MS}`,
    default: "the server's, 100",
  },
];

/** What --partials asks of the call (as RunStreamOptions names it); undefined without it. */
export interface PartialsSettings {
  /** Least ms between two partial texts; unset: the server's. */
  readonly partialIntervalMs?: number;
}

/**
 * --partials and --partial-interval-ms, checked against the call's `imageCount`: the partial lines
 * carry no image index, so they stream one image's answer.
 */
export function partialsSettings(values: Values, env: Env, imageCount: number): PartialsSettings | undefined {
  const [partials, interval] = CALL_PARTIALS_FLAGS as [FlagSpec, FlagSpec];
  const on = readSwitch(values, partials, env) === true;
  const intervalMs = parseCount("--partial-interval-ms", readText(values, interval, env));
  if (!on) {
    if (intervalMs !== undefined)
      throw new UsageError("--partial-interval-ms applies to --partials only; add --partials or drop it");
    return undefined;
  }
  if (imageCount !== 1)
    throw new UsageError(
      `--partials streams one image's answer, and ${imageCount} --image were given; give one --image, or drop --partials to answer several`,
    );
  if (intervalMs !== undefined && intervalMs > MAX_PARTIAL_INTERVAL_MS)
    throw new UsageError(
      `--partial-interval-ms ${intervalMs} is over ${MAX_PARTIAL_INTERVAL_MS}; ask for partial lines more often, or drop --partials`,
    );
  return intervalMs === undefined ? {} : { partialIntervalMs: intervalMs };
}

/**
 * `call`'s choice of served model (not in CALL_FLAGS: `stream` reads --model as an engine in its
 * own process). Its own variable, as FLORENCE2_MODEL configures `serve`.
 */
export const CALL_MODEL_FLAG: FlagSpec = {
  flag: "model",
  value: "NAME",
  env: "FLORENCE2_CALL_MODEL",
  help: "the served model to run on, by the name serve gave it (serve --model NAME=DIR; ListModels lists them); unset: the server's default model",
};

/** `serve`'s own switch: when the port opens. */
export const LISTEN_AFTER_LOAD_FLAG: FlagSpec = {
  flag: "listen-after-load",
  help: "open the port only once the default model has loaded, for proxies without health checks (nginx upstreams): a starting replica refuses connections, which they skip, instead of answering UNAVAILABLE while it loads; not with Kubernetes probes, which need the port while the model loads",
};

/** `serve`'s own switch: what to do when the model cannot be loaded. */
export const RETRY_LOAD_FLAG: FlagSpec = {
  flag: "retry-load",
  help: "when the model cannot be loaded (hub unreachable, download failed), keep serving NOT_SERVING and retry with backoff (1 s doubling to 60 s) instead of exiting with status 1",
};
