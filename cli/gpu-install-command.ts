/**
 * `florence2 gpu-install`: onnxruntime-node's CUDA provider and the CUDA 13 / cuDNN 9 libraries it
 * needs, from PyPI (tools/gpu/install, the same script as `npm run gpu:install` in a clone). A
 * project that installed this package from npm has no such npm script; this command finds the
 * script in the package and runs it with the terminal attached. docs/gpu.md describes what it does.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { UsageError } from "./args.js";
import { findPackageRoot } from "./export-command.js";
import { type FlagSpec, parseArgsOptions, readSwitch, readText } from "./flag-table.js";

type Env = Readonly<Record<string, string | undefined>>;
type Values = Readonly<Record<string, unknown>>;

/** The installer, relative to the package root. */
export const GPU_INSTALL_TOOL = "tools/gpu/install";

export const GPU_INSTALL_USAGE = "florence2 gpu-install [--offline] [--remove] [--prefix DIR] [--wheels DIR]";

export const GPU_INSTALL_FLAGS: readonly FlagSpec[] = [
  {
    flag: "prefix",
    value: "DIR",
    help: "where the CUDA libraries go (DIR/lib) and the downloaded wheels are kept (DIR/wheels)",
    default: ".cache/florence2-gpu in the package folder",
    env: "FLORENCE2_GPU_PREFIX",
  },
  {
    flag: "wheels",
    value: "DIR",
    help: "the wheel cache folder (copy a filled one here for a host without internet)",
    default: "PREFIX/wheels",
    env: "FLORENCE2_GPU_WHEELS",
  },
  { flag: "offline", help: "use only the wheels already in the cache; never start a download" },
  { flag: "remove", help: "take the provider libraries out of onnxruntime-node again", env: "FLORENCE2_GPU_REMOVE" },
];

export const GPU_INSTALL_NOTES: readonly string[] = [
  "Needs Python >= 3.8 with pip (PYTHON=/path/to/python3 picks one), Linux x86_64; downloads about 1.35 GB once.",
  "Run it again after every npm ci or npm install (they replace onnxruntime-node's folder); then:",
  "  florence2 serve --model florence-2-base --device cuda --dtype fp16",
  "The GPU host needs an NVIDIA driver >= 580.65.06 (CUDA 13); nothing comes from NuGet.",
];

function flagSpec(name: string): FlagSpec {
  const spec = GPU_INSTALL_FLAGS.find((f) => f.flag === name);
  if (spec === undefined) throw new Error(`no gpu-install flag --${name}`);
  return spec;
}

/** The installer's arguments for the flags given (here or in the environment). */
export function installerArguments(positionals: readonly string[], values: Values, env: Env): string[] {
  if (positionals.length > 0) {
    throw new UsageError(`gpu-install takes no arguments, got ${positionals.map((p) => JSON.stringify(p)).join(" ")}`);
  }
  const args: string[] = [];
  for (const name of ["prefix", "wheels"]) {
    const value = readText(values, flagSpec(name), env);
    if (value !== undefined) args.push(`--${name}`, value);
  }
  for (const name of ["offline", "remove"])
    if (readSwitch(values, flagSpec(name), env) === true) args.push(`--${name}`);
  return args;
}

export async function gpuInstallCommand(
  argv: string[],
  printHelp: () => void,
  env: Env = process.env,
  here: string = dirname(fileURLToPath(import.meta.url)),
): Promise<number | undefined> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...parseArgsOptions(GPU_INSTALL_FLAGS), help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help === true) {
    printHelp();
    return undefined;
  }
  const args = installerArguments(positionals, values, env);
  const root = findPackageRoot(here);
  if (root === undefined)
    throw new Error(`cannot find ${GPU_INSTALL_TOOL} above ${here}: the package is incomplete, reinstall it`);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [join(root, GPU_INSTALL_TOOL), ...args], { stdio: "inherit", env: { ...env } });
    child.once("error", (e) => reject(new Error(`could not start bash to run ${GPU_INSTALL_TOOL}: ${e.message}`)));
    child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
  });
}
