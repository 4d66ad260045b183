/**
 * `florence2 stream`: a video file, a stream URL, a camera or a folder of images, frame by frame
 * through StreamFrames, to a running server (--url, as `call`) or to an engine started in this
 * process (--model, as `run`). One JSON line per answered frame on stdout, then a summary line;
 * progress and errors on stderr. The run itself is cli/video/stream-run.ts.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { createFlorenceClient, type FlorenceClient, type StreamConfig, type TaskRequest } from "../client/index.js";
import type { GenerationOptions } from "../client/inputs.js";
import { createFlorence } from "../models/index.js";
import { startServer } from "../server/index.js";
import { parseCount, parsePositiveInt, stringFlag, UsageError } from "./args.js";
import { CALL_FLAGS, engineSettings } from "./command-flags.js";
import { parseArgsOptions, readSwitch, readText } from "./flag-table.js";
import { commandHelp } from "./help.js";
import { type DrawTarget, drawTarget, type FrameSink, openDrawSink } from "./video/draw-sink.js";
import { ffmpegTools } from "./video/ffmpeg-process.js";
import { openFrameSource } from "./video/frame-source.js";
import { ALL_STREAM_FLAGS, STREAM_FLAGS } from "./video/stream-flags.js";
import { runStream } from "./video/stream-run.js";
import { classifySource, type DecodeSettings, parseFps, parseSize, type PathKind } from "./video/video-source.js";

type Values = Readonly<Record<string, unknown>>;
type Env = Readonly<Record<string, string | undefined>>;

/** What `stream` reads exactly as `call` does; main.ts hands in its own functions so they are written once. */
export interface StreamCommandDeps {
  /** --task and its inputs (--text, --region). */
  readonly taskArgs: (values: Values) => TaskRequest;
  /** --num-beams, --max-new-tokens. */
  readonly generationArgs: (values: Values) => GenerationOptions;
  /** A client for --url with --protocol, --token and the TLS files. */
  readonly connect: (values: Values) => Promise<FlorenceClient>;
}

/** Where the frames go, and how to let go of it. */
interface Backend {
  readonly client: FlorenceClient;
  readonly label: string;
  close(): Promise<void>;
}

const DEFAULT_DRAIN_MS = 30_000;
/** `call`'s --url default, as its flag row shows it. */
const DEFAULT_URL = CALL_FLAGS.find((f) => f.flag === "url")?.default ?? "http://127.0.0.1:50051";
/** Frame rate of a --draw video when neither --fps nor the input tells one. */
const DEFAULT_DRAW_FPS = 5;

function streamFlag(name: string) {
  const spec = STREAM_FLAGS.find((f) => f.flag === name);
  if (spec === undefined) throw new Error(`no stream flag --${name}`);
  return spec;
}

function pathKind(path: string): PathKind | undefined {
  try {
    const s = statSync(path);
    return { isDirectory: s.isDirectory(), isCharacterDevice: s.isCharacterDevice() };
  } catch {
    return undefined;
  }
}

function streamConfig(values: Values, env: Env, deps: StreamCommandDeps): StreamConfig {
  const backpressure = readText(values, streamFlag("backpressure"), env) ?? "queue";
  if (backpressure !== "queue" && backpressure !== "latest")
    throw new UsageError(`--backpressure ${backpressure} is not a mode; use queue (every frame) or latest (keep up)`);
  const maxInFlight = parsePositiveInt("--max-in-flight", readText(values, streamFlag("max-in-flight"), env));
  const changeThreshold = parseChangeThreshold(readText(values, streamFlag("change-threshold"), env));
  return {
    task: deps.taskArgs(values),
    options: deps.generationArgs(values),
    backpressure,
    ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    ...(changeThreshold !== undefined ? { changeThreshold } : {}),
  };
}

/** --change-threshold: a fraction in [0, 1); the server checks it too, this fails before any ffmpeg starts. */
export function parseChangeThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (value.trim() === "" || !Number.isFinite(t) || t < 0 || t >= 1)
    throw new UsageError(`--change-threshold ${value} must be a number from 0 up to (not including) 1, e.g. 0.02`);
  return t;
}

function decodeSettings(values: Values, env: Env): DecodeSettings {
  return {
    fps: parseFps("--fps", readText(values, streamFlag("fps"), env)),
    size: parseSize("--size", readText(values, streamFlag("size"), env)),
    realtime: readSwitch(values, streamFlag("realtime"), env) ?? false,
  };
}

/** An engine in this process behind a server on a loopback port, so frames take the very path they take remotely. */
async function inProcess(values: Values, env: Env, warn: (line: string) => void): Promise<Backend> {
  const settings = engineSettings(values, env);
  warn(`florence2 stream: loading ${settings.model} in this process`);
  const engine = await createFlorence(settings);
  const { server, address } = await startServer({
    engine,
    host: "127.0.0.1",
    port: 0,
    handleSignals: false,
    logLevel: "warn",
  }).catch(async (e: unknown) => {
    await engine.close();
    throw e;
  });
  const client = createFlorenceClient({ baseUrl: address.url });
  return { client, label: `the engine in this process (${settings.model})`, close: () => server.close() };
}

async function connectBackend(values: Values, env: Env, deps: StreamCommandDeps): Promise<Backend> {
  const client = await deps.connect(values);
  return { client, label: stringFlag(values, "url", env) ?? DEFAULT_URL, close: async () => {} };
}

export interface StreamIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Env;
}

const processIo: StreamIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs `florence2 stream`; throws UsageError for bad flags and Error when the run failed (after the summary). */
export async function streamCommand(argv: string[], deps: StreamCommandDeps, io: StreamIo = processIo): Promise<void> {
  const { env } = io;
  const values: Values = parseArgs({
    args: argv,
    options: { ...parseArgsOptions(ALL_STREAM_FLAGS), help: { type: "boolean", short: "h" } },
    strict: true,
  }).values;
  if (values.help === true) {
    io.stdout.write(`${commandHelp("stream")}\n`);
    return;
  }
  const print = (line: string) => void io.stdout.write(`${line}\n`);
  const warn = (line: string) => void io.stderr.write(`${line}\n`);
  // --model on the command line (not FLORENCE2_MODEL, which configures `serve`) names the model:
  // with --url, a model the server serves (as `call --model`); without, an engine run here (as `run`).
  const remote = typeof values.url === "string";
  const local = typeof values.model === "string" && !remote;
  const servedModel = remote && typeof values.model === "string" ? values.model : undefined;
  const input = readText(values, streamFlag("input"), env);
  if (input === undefined)
    throw new UsageError(
      "--input is required: a video file, a stream URL, a camera (/dev/video0) or a folder of images",
    );
  const source = classifySource(input, pathKind);
  const config = { ...streamConfig(values, env, deps), ...(servedModel !== undefined ? { model: servedModel } : {}) };
  const settings = decodeSettings(values, env);
  const drainMs = parseCount("--drain-ms", readText(values, streamFlag("drain-ms"), env)) ?? DEFAULT_DRAIN_MS;
  const tools = ffmpegTools(readText(values, streamFlag("ffmpeg"), env));
  const drawOut = readText(values, streamFlag("draw"), env);
  const target: DrawTarget | undefined =
    drawOut === undefined ? undefined : drawTarget(drawOut, pathKind(drawOut)?.isDirectory === true);

  const frames = await openFrameSource(source, settings, tools);
  let backend: Backend | undefined;
  let sink: FrameSink | undefined;
  try {
    backend = local ? await inProcess(values, env, warn) : await connectBackend(values, env, deps);
    if (target !== undefined) sink = await openDrawSink(target, frames.fps ?? DEFAULT_DRAW_FPS, tools.ffmpeg);
    warn(`florence2 stream: ${frames.description} -> ${backend.label}, task ${config.task.task}`);
    const outcome = await runStream({
      client: backend.client,
      config,
      source: frames,
      sink,
      drainMs,
      serverLabel: backend.label,
      print,
      warn,
    });
    print(JSON.stringify(outcome.summary));
    if (outcome.failure !== undefined) throw outcome.failure;
  } finally {
    await frames.stop();
    await backend?.close();
  }
}
