/**
 * test/gpu support: a private copy of onnxruntime-node (its JS, and its native folder copied, since
 * ORT loads providers from the real folder of its libonnxruntime.so.1) in a temporary node_modules,
 * so the CUDA provider can be installed into it and removed again without changing the
 * node_modules every other test uses. Its one dependency that matters at run time,
 * onnxruntime-common, is linked to ours.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const require = createRequire(import.meta.url);

export interface OrtCopy {
  /** The copy's package folder (pass to `tools/gpu/install --ort-package`). */
  readonly pkg: string;
  /** The folder ORT loads its providers from. */
  readonly bindingDir: string;
}

export function copyOnnxruntimeNode(into: string): OrtCopy {
  const source = dirname(require.resolve("onnxruntime-node/package.json"));
  // onnxruntime-common's "exports" hide its package.json: cut its entry point's path at the package folder.
  const entry = require.resolve("onnxruntime-common", { paths: [source] });
  const common = entry.slice(0, entry.lastIndexOf("onnxruntime-common") + "onnxruntime-common".length);
  const modules = join(into, "node_modules");
  const pkg = join(modules, "onnxruntime-node");
  mkdirSync(modules, { recursive: true });
  cpSync(source, pkg, { recursive: true, filter: (p) => !p.includes("libonnxruntime_providers_") });
  symlinkSync(common, join(modules, "onnxruntime-common"), "dir");
  return { pkg, bindingDir: join(pkg, "bin", "napi-v6", process.platform, process.arch) };
}

export interface LoadOutcome {
  readonly kind: string;
  readonly message?: string;
}

/** Runs test/gpu/support/load-cuda.ts against the copy: our loading code on --device cuda. */
export async function loadOnCuda(copy: OrtCopy): Promise<LoadOutcome> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      join(ROOT, "test/gpu/support/ort-resolve-hook.mjs"),
      join(ROOT, "test/gpu/support/load-cuda.ts"),
    ],
    { cwd: ROOT, env: { ...process.env, FLORENCE2_TEST_ORT_PACKAGE: copy.pkg }, timeout: 120_000 },
  );
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as LoadOutcome;
}

export interface InstallRun {
  readonly code: number;
  readonly stderr: string;
}

/** Runs `tools/gpu/install` (what `npm run gpu:install` runs) with the given arguments. */
export async function runInstall(
  args: readonly string[],
  timeoutMs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<InstallRun> {
  try {
    const { stderr } = await promisify(execFile)(join(ROOT, "tools/gpu/install"), [...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stderr: err.stderr ?? String(e) };
  }
}
