#!/usr/bin/env node
/**
 * florence2: run one task on an image (run), serve the gRPC API (serve), or call a running server
 * (call). Results are printed as JSON on stdout; errors say what to fix on stderr. Every flag is a
 * row of a table (command-flags.ts, server-flags.ts) that also makes the help.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createFlorenceClient, type FlorenceClient, type NodeTlsOptions, type TaskResult } from "../client/index.js";
import { createProgressBar } from "../models/hub/index.js";
import { createFlorence, type EngineOptionsInit, findTask, isFlorenceError } from "../models/index.js";
import { parsePositiveInt, parseRegion, stringFlag, UsageError } from "./args.js";
import { callOutput, partialLine } from "./call-output.js";
import {
  CALL_FLAGS,
  CALL_MODEL_FLAG,
  CALL_PARTIALS_FLAGS,
  engineSettings,
  LISTEN_AFTER_LOAD_FLAG,
  MODEL_FLAGS,
  partialsSettings,
  REQUEST_FLAGS,
  RETRY_LOAD_FLAG,
} from "./command-flags.js";
import { type DrawTarget, drawResults, drawTargets } from "./draw.js";
import { florenceErrorLine } from "./error-line.js";
import { exportCommand } from "./export-command.js";
import { parseArgsOptions, readList, readText } from "./flag-table.js";
import { gpuInstallCommand } from "./gpu-install-command.js";
import { type CommandName, commandHelp, mainHelp, packageVersion } from "./help.js";
import { serveModels } from "./load-engine.js";
import { serverFlagOptions } from "./server-flags.js";
import { staleBuildWarning } from "./stale-build.js";
import { streamCommand } from "./stream-command.js";

type Values = Readonly<Record<string, unknown>>;
const env = process.env;
const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/** The request flags' row of `name`. */
function requestFlag(name: string) {
  const spec = REQUEST_FLAGS.find((f) => f.flag === name);
  if (spec === undefined) throw new Error(`no request flag --${name}`);
  return spec;
}

function taskArgs(values: Values) {
  const token = readText(values, requestFlag("task"), env);
  if (token === undefined) throw new UsageError('--task is required, e.g. --task "<CAPTION>"');
  const spec = findTask(token);
  if (spec === undefined)
    throw new UsageError(
      `--task ${token} is not a Florence-2 task; use a token like "<CAPTION>", "<OD>", "<OCR_WITH_REGION>"`,
    );
  const text = readText(values, requestFlag("text"), env);
  const region = parseRegion(readText(values, requestFlag("region"), env));
  return { task: spec.name, ...(text !== undefined ? { text } : {}), ...(region !== undefined ? { region } : {}) };
}

function generationArgs(values: Values) {
  const numBeams = parsePositiveInt("--num-beams", readText(values, requestFlag("num-beams"), env));
  const maxNewTokens = parsePositiveInt("--max-new-tokens", readText(values, requestFlag("max-new-tokens"), env));
  return { ...(numBeams !== undefined ? { numBeams } : {}), ...(maxNewTokens !== undefined ? { maxNewTokens } : {}) };
}

/** The files --draw writes for `count` images, checked before the task runs; [] without --draw. */
function drawArgs(values: Values, count: number): DrawTarget[] {
  const file = readText(values, requestFlag("draw"), env);
  return file === undefined ? [] : drawTargets(file, count);
}

function images(values: Values): string[] {
  const files = readList(values, requestFlag("image"), env);
  if (files === undefined) throw new UsageError("--image <file> is required");
  return files;
}

/** The engine options with a progress bar on stderr, which `finish` ends before anything else is written. */
function withProgressBar(init: EngineOptionsInit) {
  const bar = createProgressBar(process.stderr);
  return { init: { ...init, onDownloadProgress: bar.onProgress }, finish: bar.finish };
}

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...parseArgsOptions([...REQUEST_FLAGS, ...MODEL_FLAGS]), ...HELP_OPTION },
    strict: true,
  });
  if (values.help === true) return printHelp("run");
  const request = taskArgs(values);
  const files = images(values);
  const options = generationArgs(values);
  const targets = drawArgs(values, files.length);
  const { init, finish } = withProgressBar(engineSettings(values, env));
  const florence = await createFlorence(init).finally(finish);
  try {
    const results = await florence.run(
      request,
      files.map((path) => ({ kind: "path", path }) as const),
      options,
    );
    process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
    await drawResults(targets, files, results, request.region);
  } finally {
    await florence.close();
  }
}

/**
 * Serves until a signal closes the server (cli/load-engine.ts: serveModels). A default model that
 * cannot be loaded closes it too and fails with the load error's message (exit status 1), unless
 * --retry-load keeps it trying.
 */
async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...parseArgsOptions([...MODEL_FLAGS, RETRY_LOAD_FLAG, LISTEN_AFTER_LOAD_FLAG]),
      ...serverFlagOptions,
      ...HELP_OPTION,
    },
    strict: true,
  });
  if (values.help === true) return printHelp("serve");
  await serveModels(values, env);
}

/** Reads the PEM files named by --ca, --cert and --key, naming the flag of a file that cannot be read. */
async function clientTls(values: Values): Promise<NodeTlsOptions | undefined> {
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const flag of ["ca", "cert", "key"] as const) {
    const path = stringFlag(values, flag, env);
    if (path === undefined) continue;
    try {
      tls[flag] = await readFile(path);
    } catch (e) {
      throw new UsageError(
        `--${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      );
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new UsageError("--cert and --key go together: give both for a client certificate, or neither");
  return Object.keys(tls).length === 0 ? undefined : tls;
}

/** A client for --url with --protocol, --token and the TLS files (`call` and `stream`). */
async function connect(values: Values): Promise<FlorenceClient> {
  const protocol = stringFlag(values, "protocol", env) ?? "grpc";
  if (protocol !== "grpc" && protocol !== "grpc-web" && protocol !== "connect") {
    throw new UsageError(`--protocol ${protocol} is not supported; use grpc, grpc-web or connect`);
  }
  const token = stringFlag(values, "token", env);
  const tls = await clientTls(values);
  return createFlorenceClient({
    baseUrl: stringFlag(values, "url", env) ?? "http://127.0.0.1:50051",
    protocol,
    ...(token !== undefined ? { token } : {}),
    ...(tls !== undefined ? { tls } : {}),
  });
}

/**
 * Resolves to the exit status: 0, or 1 when some images failed alone (call-output.ts: each is
 * printed with its error and named on stderr; the others are printed and drawn as usual).
 */
async function call(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...parseArgsOptions([...CALL_FLAGS, CALL_MODEL_FLAG, ...CALL_PARTIALS_FLAGS, ...REQUEST_FLAGS]),
      ...HELP_OPTION,
    },
    strict: true,
  });
  if (values.help === true) {
    printHelp("call");
    return 0;
  }
  const request = taskArgs(values);
  const files = images(values);
  const targets = drawArgs(values, files.length);
  const partials = partialsSettings(values, env, files.length);
  const model = readText(values, CALL_MODEL_FLAG, env);
  const client = await connect(values);
  const { task, ...inputs } = request;
  const options = { ...inputs, ...generationArgs(values), ...(model !== undefined ? { model } : {}) };
  const results =
    partials === undefined
      ? await client.run(task, files, options)
      : await streamPartials(client, task, files, { ...options, ...partials });
  const output = callOutput(files, results);
  process.stdout.write(`${output.json}\n`);
  for (const line of output.failures) process.stderr.write(`florence2 call: ${line}\n`);
  const answered = (_: unknown, i: number) => results[i]?.error === undefined;
  const drawn = targets.length === 0 ? [] : targets.filter(answered);
  await drawResults(drawn, files.filter(answered), results.filter(answered), request.region);
  return output.status;
}

/** `call --partials`: writes one line per partial text as it arrives; resolves to the results. */
async function streamPartials(
  client: FlorenceClient,
  ...[task, files, options]: [...Parameters<FlorenceClient["runStream"]>]
): Promise<readonly TaskResult[]> {
  // Read to the stream's end (the result is its last message): leaving the loop early would cancel the call.
  let results: readonly TaskResult[] | undefined;
  for await (const event of client.runStream(task, files, options)) {
    if (event.kind === "result") results = event.results;
    else process.stdout.write(`${partialLine(event)}\n`);
  }
  if (results === undefined)
    throw new Error("the server ended RunStream without a result; call again, or drop --partials");
  return results;
}

function printHelp(command: CommandName): void {
  process.stdout.write(`${commandHelp(command)}\n`);
}

/** Each command resolves to its exit status (a number), or to nothing for 0. */
const COMMANDS: Readonly<Record<CommandName, (argv: string[]) => Promise<unknown>>> = {
  run,
  serve,
  call,
  export: (argv) => exportCommand(argv, () => printHelp("export")),
  stream: (argv) => streamCommand(argv, { taskArgs, generationArgs, connect }),
  "gpu-install": (argv) => gpuInstallCommand(argv, () => printHelp("gpu-install")),
};

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Runs the command line; resolves to the exit status (serve resolves 0 once it is listening). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    const topic = rest[0];
    process.stdout.write(`${topic !== undefined && isCommand(topic) ? commandHelp(topic) : mainHelp()}\n`);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === undefined || !isCommand(command)) {
    const what = command === undefined ? "a command is required" : `unknown command ${JSON.stringify(command)}`;
    process.stderr.write(`florence2: ${what}\n\n${mainHelp()}\n`);
    return 2;
  }
  try {
    const status = await COMMANDS[command](rest);
    return typeof status === "number" ? status : 0;
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(
        `florence2 ${command}: ${(e as Error).message}\nRun "florence2 ${command} --help" for every flag, its default and its environment variable.\n`,
      );
      return 2;
    }
    if (isFlorenceError(e)) {
      process.stderr.write(`florence2 ${command}: ${florenceErrorLine(e)}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`florence2 ${command}: ${message}\n`);
    return 1;
  }
}

// Run from dist/ in a clone (the sources next to it): say when a source changed after the build.
const entry = fileURLToPath(import.meta.url);
if (entry.endsWith(join("dist", "cli", "main.js"))) {
  const warning = staleBuildWarning(dirname(dirname(dirname(entry))), entry);
  if (warning !== undefined) process.stderr.write(warning);
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
