/**
 * `florence2 export SRC OUT`: converts a fine-tuned Florence-2 checkpoint (transformers' native layout,
 * Microsoft's original trust_remote_code layout, optionally with a LoRA adapter) into a folder that
 * `florence2 serve --model OUT` loads. The work is done by the Python tool shipped in tools/export
 * (PyTorch is needed to read the checkpoint); this command finds the tool and an interpreter for it,
 * runs it with the terminal attached, and turns a missing interpreter or missing packages into the
 * one-time setup command. docs/export.md describes the tool, its checks and its tolerance.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { UsageError } from "./args.js";
import { type FlagSpec, parseArgsOptions, readSwitch, readText } from "./flag-table.js";

type Env = Readonly<Record<string, string | undefined>>;
type Values = Readonly<Record<string, unknown>>;

/** The tool, relative to the package root (the repository, or the installed package). */
export const EXPORT_TOOL = "tools/export/florence2_export.py";
/** The interpreter of the one-time setup, relative to the package root. */
export const EXPORT_VENV_PYTHON = "tools/export/.venv/bin/python";
export const EXPORT_SETUP =
  "python3 -m venv tools/export/.venv && tools/export/.venv/bin/pip install -r tools/export/requirements.txt";
/** The tool's exit status for "Python packages missing" (it prints which). */
export const EXIT_MISSING_PACKAGES = 3;

export const EXPORT_FLAGS: readonly FlagSpec[] = [
  { flag: "adapter", value: "DIR", help: "a PEFT LoRA adapter folder, merged into the weights before the export" },
  {
    flag: "variants",
    value: "fp16,q8",
    help: "also write these precisions next to fp32; a variant whose outputs are not finite is refused",
  },
  {
    flag: "skip-check",
    help: "skip the comparison with PyTorch (logits within --tolerance, identical greedy tokens); variants are still checked for finite outputs",
  },
  {
    flag: "tolerance",
    value: "X",
    help: "largest max |logits difference| between ONNX fp32 and PyTorch the check accepts",
    default: "0.005",
  },
  { flag: "check-image", value: "FILE", help: "image the check runs on", default: "a synthetic picture" },
  { flag: "check-steps", value: "N", help: "greedy steps per task prompt in the check", default: "8" },
  { flag: "report", value: "FILE", help: "also write the export report (check results, timings, files) as JSON" },
  {
    flag: "python",
    value: "FILE",
    help: "Python interpreter that has tools/export/requirements.txt installed",
    default: `${EXPORT_VENV_PYTHON} if it exists, else python3`,
    env: "FLORENCE2_PYTHON",
  },
];

export const EXPORT_USAGE = "florence2 export SRC OUT [--adapter DIR] [--variants fp16,q8] [flags]";

/** Lines the help prints after the flags. */
export const EXPORT_NOTES: readonly string[] = [
  "SRC: a local checkpoint folder, saved with transformers' save_pretrained (model_type florence2) or in",
  "Microsoft's original trust_remote_code layout. OUT: written through OUT/.staging; nothing is moved into",
  "place before the ONNX chain matched PyTorch on the checkpoint's own weights. Then: florence2 serve --model OUT",
  `One-time setup (in the package folder): ${EXPORT_SETUP}`,
];

/** The folder above `from` that holds the tool: the repository in development, the package once installed. */
export function findPackageRoot(from: string, exists: (path: string) => boolean = existsSync): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (exists(join(dir, EXPORT_TOOL))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface PythonChoice {
  readonly command: string;
  /** Where the choice came from, for the error when it cannot run. */
  readonly source: "--python" | "FLORENCE2_PYTHON" | "setup venv" | "PATH";
}

/** --python, then FLORENCE2_PYTHON, then the setup's venv, then python3 on the PATH. */
export function choosePython(
  flag: string | undefined,
  env: Env,
  root: string,
  exists: (path: string) => boolean = existsSync,
): PythonChoice {
  if (flag !== undefined) return { command: flag, source: "--python" };
  const fromEnv = env.FLORENCE2_PYTHON;
  if (fromEnv !== undefined && fromEnv !== "") return { command: fromEnv, source: "FLORENCE2_PYTHON" };
  const venv = join(root, EXPORT_VENV_PYTHON);
  if (exists(venv)) return { command: venv, source: "setup venv" };
  return { command: "python3", source: "PATH" };
}

function flagSpec(name: string): FlagSpec {
  const spec = EXPORT_FLAGS.find((f) => f.flag === name);
  if (spec === undefined) throw new Error(`no export flag --${name}`);
  return spec;
}

/** The tool's arguments after the script path: SRC OUT and the flags given (here or in the environment). */
export function toolArguments(positionals: readonly string[], values: Values, env: Env): string[] {
  if (positionals.length !== 2) {
    throw new UsageError(
      `expected SRC and OUT (the checkpoint folder and the output folder), got ${positionals.length} argument(s)`,
    );
  }
  const tolerance = readText(values, flagSpec("tolerance"), env);
  if (tolerance !== undefined && !(Number(tolerance) > 0))
    throw new UsageError(`--tolerance ${tolerance} must be a positive number, e.g. 0.005`);
  const args = [...positionals];
  for (const name of ["adapter", "variants", "tolerance", "check-image", "check-steps", "report"]) {
    const value = readText(values, flagSpec(name), env);
    if (value !== undefined) args.push(`--${name}`, value);
  }
  if (readSwitch(values, flagSpec("skip-check"), env) === true) args.push("--skip-check");
  return args;
}

/** Runs the interpreter with the terminal attached; resolves to its exit status, rejects when it cannot start. */
function runTool(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
  });
}

function setupHint(root: string): string {
  return `set up the exporter once: cd ${root} && ${EXPORT_SETUP} (or pass --python / FLORENCE2_PYTHON)`;
}

export async function exportCommand(
  argv: string[],
  printHelp: () => void,
  env: Env = process.env,
  here: string = dirname(fileURLToPath(import.meta.url)),
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...parseArgsOptions(EXPORT_FLAGS), help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) return printHelp();
  const args = toolArguments(positionals, values, env);
  const root = findPackageRoot(here);
  if (root === undefined) throw new Error(`the export tool ${EXPORT_TOOL} is not part of this installation`);
  // the flag alone here: choosePython reads FLORENCE2_PYTHON itself, to name the source in errors
  const flag = (values as Values).python;
  const python = choosePython(typeof flag === "string" ? flag : undefined, env, root);
  let status: number;
  try {
    status = await runTool(python.command, [join(root, EXPORT_TOOL), ...args]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new Error(`cannot run Python ${python.command} (from ${python.source}: ${code}); ${setupHint(root)}`);
  }
  if (status === EXIT_MISSING_PACKAGES)
    throw new Error(`the exporter's Python packages are missing; ${setupHint(root)}`);
  if (status !== 0) throw new Error(`the export failed (exit status ${status}); the reason is printed above`);
}
