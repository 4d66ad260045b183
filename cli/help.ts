/**
 * The help texts: `florence2 --help` (the commands and the variables every command reads) and
 * `florence2 <command> --help` (that command's flags), all generated from the flag tables so every
 * flag shows its default and its environment variable.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SOME_IMAGES_FAILED } from "./call-output.js";
import {
  CALL_FLAGS,
  CALL_MODEL_FLAG,
  CALL_PARTIALS_FLAGS,
  HUB_ENVIRONMENT,
  MODEL_FLAGS,
  REQUEST_FLAGS,
  LISTEN_AFTER_LOAD_FLAG,
  RETRY_LOAD_FLAG,
} from "./command-flags.js";
import { EXPORT_FLAGS, EXPORT_NOTES, EXPORT_USAGE } from "./export-command.js";
import { flagHelp } from "./flag-table.js";
import { GPU_INSTALL_FLAGS, GPU_INSTALL_NOTES, GPU_INSTALL_USAGE } from "./gpu-install-command.js";
import { serverFlagsHelp } from "./server-flags.js";
import { STREAM_FLAGS, STREAM_REQUEST_FLAGS } from "./video/stream-flags.js";

export type CommandName = "run" | "serve" | "call" | "export" | "stream" | "gpu-install";

export const COMMAND_SUMMARIES: Readonly<Record<CommandName, string>> = {
  run: "run one task on image files with a local engine and print the results as JSON",
  serve: "serve the gRPC, gRPC-Web and Connect API on one port",
  call: "call a running server and print the results as JSON",
  export: "convert a fine-tuned checkpoint (transformers or Microsoft layout, optional LoRA) into a folder serve loads",
  stream: "send a video, camera, stream URL or image folder frame by frame and print one JSON line per frame",
  "gpu-install":
    "get onnxruntime-node's CUDA provider and the CUDA 13 libraries it needs from PyPI (for --device cuda)",
};

const USAGE_LINES: Readonly<Record<CommandName, string>> = {
  run: 'florence2 run --model DIR|ID --task "<CAPTION>" --image FILE [flags]',
  serve: "florence2 serve --model [NAME=]DIR|ID [--model ...] [flags]",
  call: 'florence2 call [--url URL] [--model NAME] --task "<CAPTION>" --image FILE [flags]',
  export: EXPORT_USAGE,
  stream: 'florence2 stream [--url URL [--model NAME] | --model DIR|ID] --input SOURCE --task "<OD>" [flags]',
  "gpu-install": GPU_INSTALL_USAGE,
};

const HELP_FLAG_LINE = "    -h, --help\n        print this help and exit";

function hubEnvironment(): string {
  return HUB_ENVIRONMENT.map((v) => `    ${v.name}\n        ${v.help}`).join("\n");
}

const FLAG_NOTE = "Each flag also reads the environment variable shown (FLORENCE2_<FLAG>); the command line wins.";

/** `florence2 --help`. */
export function mainHelp(): string {
  const commands = (Object.keys(COMMAND_SUMMARIES) as CommandName[]).map(
    (c) => `  ${c.padEnd(6)} ${COMMAND_SUMMARIES[c]}`,
  );
  return [
    "Usage: florence2 <command> [flags]",
    "",
    "Commands:",
    ...commands,
    "",
    "florence2 <command> --help lists a command's flags, each with its default and environment variable.",
    "",
    "Flags:",
    HELP_FLAG_LINE.replace("print this help", "print this help (or a command's)"),
    "    -v, --version\n        print the version and exit",
    "",
    "Environment read by run and serve when they fetch a model from the Hugging Face Hub:",
    hubEnvironment(),
    "",
    "Quick start: florence2 serve --model florence-2-base, then",
    '  florence2 call --task "<CAPTION>" --image photo.jpg',
  ].join("\n");
}

/** `florence2 <command> --help`. */
export function commandHelp(command: CommandName): string {
  const head = [`Usage: ${USAGE_LINES[command]}`, "", `${COMMAND_SUMMARIES[command]}.`, FLAG_NOTE, ""];
  const model = ["Model and engine:", flagHelp(MODEL_FLAGS)];
  const request = ["The request:", flagHelp(REQUEST_FLAGS)];
  const hub = ["", "Hub environment (read by the model download):", hubEnvironment()];
  const help = ["", "Other:", HELP_FLAG_LINE];
  switch (command) {
    case "run":
      return [...head, ...request, "", ...model, ...hub, ...help].join("\n");
    case "serve":
      return [
        ...head,
        ...model,
        flagHelp([RETRY_LOAD_FLAG, LISTEN_AFTER_LOAD_FLAG]),
        "",
        "Server (the limits' errors are RESOURCE_EXHAUSTED or INVALID_ARGUMENT, as each line says):",
        serverFlagsHelp(),
        ...hub,
        ...help,
      ].join("\n");
    case "call":
      return [
        ...head,
        "Connection:",
        flagHelp([...CALL_FLAGS, CALL_MODEL_FLAG]),
        "",
        ...request,
        "",
        "The answer as it is generated (one image; the partial lines come before the result):",
        flagHelp(CALL_PARTIALS_FLAGS),
        "",
        "Exit status: 0 when every image was answered; " +
          `${SOME_IMAGES_FAILED} when some images failed (each is printed with its "error" and named on stderr; the others are answered as usual) or the call failed; 2 for a usage error.`,
        ...help,
      ].join("\n");
    case "export":
      return [...head, "Export:", flagHelp(EXPORT_FLAGS), "", ...EXPORT_NOTES, ...help].join("\n");
    case "gpu-install":
      return [...head, "Install:", flagHelp(GPU_INSTALL_FLAGS), "", ...GPU_INSTALL_NOTES, ...help].join("\n");
    case "stream":
      return [
        ...head,
        "Input and output:",
        flagHelp(STREAM_FLAGS),
        "",
        "The request (every frame):",
        flagHelp(STREAM_REQUEST_FLAGS),
        "",
        "Connection (a running server):",
        flagHelp(CALL_FLAGS),
        "",
        "Or an engine in this process: --model given on the command line without --url (FLORENCE2_MODEL alone does not switch; with --url, --model NAME picks a model the server serves):",
        flagHelp(MODEL_FLAGS),
        ...help,
      ].join("\n");
  }
}

/** This package's version, from the nearest package.json above this file (source or dist). */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown };
      if (typeof pkg.version === "string") return pkg.version;
    } catch {
      // No package.json here (or unreadable): look one folder up.
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
