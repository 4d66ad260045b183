#!/usr/bin/env node
/**
 * florence2: run one task on an image (run), serve the gRPC API (serve), or call a running server
 * (call). Results are printed as JSON on stdout; errors say what to fix on stderr.
 */
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { createFlorenceClient, type NodeTlsOptions } from "../client/index.js";
import { createFlorence, type EngineOptionsInit, findTask, isFlorenceError } from "../models/index.js";
import { createProgressBar } from "../models/hub/index.js";
import { startServer } from "../server/index.js";
import { modelFlags, parseCount, parseDevice, parseDtype, parsePositiveInt, parseRegion, runFlags, stringFlag, UsageError } from "./args.js";
import { parseServerFlags, serverFlagOptions, serverFlagsHelp } from "./server-flags.js";

const USAGE = `Usage:
  florence2 run   --model <dir|id> --task <token, e.g. "<OD>"> --image <file> [--image <file> ...]
                  [--text T] [--region x1,y1,x2,y2] [--num-beams N] [--max-new-tokens N]
                  [--dtype fp32|fp16|q8|q4|...] [--device cpu|cuda|webgpu] [--offline] [--cache-dir D]
  florence2 serve --model <dir|id> [--host 127.0.0.1] [--port 50051] [--device cpu|cuda|webgpu]
                  [--dtype fp32|fp16|q8|q4] [--threads N] [--workers N] [--offline] [--cache-dir D]
                  [--max-batch-size 16] [--max-delay-ms 5] [--vision-cache-mb 256]
                  [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--auth-tokens-file FILE]
                  [server limits, below]
  florence2 call  [--url http://127.0.0.1:50051] [--protocol grpc|grpc-web|connect] --task <token>
                  --image <file> [--text T] [--region x1,y1,x2,y2] [--num-beams N] [--max-new-tokens N]
                  [--token T (or FLORENCE2_TOKEN)] [--ca FILE] [--cert FILE --key FILE]
                  (an https:// --url speaks TLS: --ca for a private CA, --cert/--key for mutual TLS)

<dir|id>: a local folder in the onnx-community layout, florence-2-base, florence-2-large (or -ft),
or a Hugging Face repo "owner/name". test/fixtures/tiny is a random-weight model for smoke tests.

serve's server options (each flag also reads FLORENCE2_<FLAG>; the command line wins):
${serverFlagsHelp()}`;

type ModelFlagValues = { [K in keyof typeof modelFlags]?: K extends "offline" ? boolean : string };

function engineInit(values: ModelFlagValues): EngineOptionsInit {
  if (values.model === undefined) throw new UsageError("--model is required: a local model folder, florence-2-base, florence-2-large, or owner/name");
  const dtype = parseDtype(values.dtype);
  const executionProvider = parseDevice(values.device);
  const threads = parsePositiveInt("--threads", values.threads);
  const workers = parsePositiveInt("--workers", values.workers);
  const maxBatchSize = parsePositiveInt("--max-batch-size", values["max-batch-size"]);
  const maxDelayMs = parseCount("--max-delay-ms", values["max-delay-ms"]);
  const visionCacheMb = parseCount("--vision-cache-mb", values["vision-cache-mb"]);
  const bar = createProgressBar(process.stderr);
  return {
    model: values.model,
    ...(dtype !== undefined ? { dtype } : {}),
    ...(executionProvider !== undefined ? { executionProvider } : {}),
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(maxBatchSize !== undefined ? { maxBatchSize } : {}),
    ...(maxDelayMs !== undefined ? { maxDelayMs } : {}),
    ...(visionCacheMb !== undefined ? { visionCacheBytes: visionCacheMb * 1024 * 1024 } : {}),
    ...(values.offline === true ? { offline: true } : {}),
    ...(values["cache-dir"] !== undefined ? { cacheDir: values["cache-dir"] } : {}),
    ...(values.revision !== undefined ? { revision: values.revision } : {}),
    onDownloadProgress: bar.onProgress,
  };
}

function taskArgs(values: { task?: string | undefined; text?: string | undefined; region?: string | undefined }) {
  if (values.task === undefined) throw new UsageError('--task is required, e.g. --task "<CAPTION>"');
  const spec = findTask(values.task);
  if (spec === undefined) throw new UsageError(`--task ${values.task} is not a Florence-2 task; use a token like "<CAPTION>", "<OD>", "<OCR_WITH_REGION>"`);
  const region = parseRegion(values.region);
  return { task: spec.name, ...(values.text !== undefined ? { text: values.text } : {}), ...(region !== undefined ? { region } : {}) };
}

function generationArgs(values: { "num-beams"?: string | undefined; "max-new-tokens"?: string | undefined }) {
  const numBeams = parsePositiveInt("--num-beams", values["num-beams"]);
  const maxNewTokens = parsePositiveInt("--max-new-tokens", values["max-new-tokens"]);
  return { ...(numBeams !== undefined ? { numBeams } : {}), ...(maxNewTokens !== undefined ? { maxNewTokens } : {}) };
}

function images(values: { image?: string[] | undefined }): string[] {
  if (values.image === undefined || values.image.length === 0) throw new UsageError("--image <file> is required");
  return values.image;
}

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: runFlags, strict: true });
  const request = taskArgs(values);
  const files = images(values);
  const options = generationArgs(values);
  const florence = await createFlorence(engineInit(values));
  try {
    const results = await florence.run(request, files.map((path) => ({ kind: "path", path }) as const), options);
    process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  } finally {
    await florence.close();
  }
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...modelFlags, ...serverFlagOptions },
    strict: true,
  });
  const server = parseServerFlags(values, process.env);
  const init = engineInit(values);
  // The model starts loading only once startServer has accepted the configuration (TLS files,
  // tokens, --insecure): a refused start must not leave a loading engine behind.
  let loadEngine = () => {};
  const engine = new Promise<Awaited<ReturnType<typeof createFlorence>>>((resolve, reject) => {
    loadEngine = () => createFlorence(init).then(resolve, reject);
  });
  await startServer({ ...server.options, insecure: server.insecure, engine });
  loadEngine();
}

/** `call`'s connection flags; each also reads FLORENCE2_<FLAG> (FLORENCE2_TOKEN keeps the token out of argv and shell history). */
const callFlags = {
  url: { type: "string" },
  protocol: { type: "string" },
  token: { type: "string" },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
} as const;

/** Reads the PEM files named by --ca, --cert and --key, naming the flag of a file that cannot be read. */
async function clientTls(values: Readonly<Record<string, unknown>>): Promise<NodeTlsOptions | undefined> {
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const flag of ["ca", "cert", "key"] as const) {
    const path = stringFlag(values, flag, process.env);
    if (path === undefined) continue;
    try {
      tls[flag] = await readFile(path);
    } catch (e) {
      throw new UsageError(`--${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new UsageError("--cert and --key go together: give both for a client certificate, or neither");
  return Object.keys(tls).length === 0 ? undefined : tls;
}

async function call(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...runFlags, ...callFlags }, strict: true });
  const request = taskArgs(values);
  const files = images(values);
  const protocol = stringFlag(values, "protocol", process.env) ?? "grpc";
  if (protocol !== "grpc" && protocol !== "grpc-web" && protocol !== "connect") {
    throw new UsageError(`--protocol ${protocol} is not supported; use grpc, grpc-web or connect`);
  }
  const token = stringFlag(values, "token", process.env);
  const tls = await clientTls(values);
  const client = createFlorenceClient({
    baseUrl: stringFlag(values, "url", process.env) ?? "http://127.0.0.1:50051",
    protocol,
    ...(token !== undefined ? { token } : {}),
    ...(tls !== undefined ? { tls } : {}),
  });
  const { task, ...inputs } = request;
  const results = await client.run(task, files, { ...inputs, ...generationArgs(values) });
  process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
}

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<void>>> = { run, serve, call };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const handler = COMMANDS[command];
  if (handler === undefined) {
    process.stderr.write(`florence2: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    await handler(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`florence2 ${command}: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (isFlorenceError(e)) {
      process.stderr.write(`florence2 ${command}: ${e.kind}: ${e.message}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`florence2 ${command}: ${message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running (its signal handlers close it); the other commands exit when done.
    if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`florence2: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
