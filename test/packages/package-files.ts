/**
 * Helpers of the packaging test (install-from-tarballs.package-test.ts): which module specifiers a
 * shipped file names and whether one of them leaves its package, a folder's size on disk, child
 * processes with bounded waits, and a clean environment for npm in a scratch project.
 */
import { execFile } from "node:child_process";
import { lstat, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * Every module specifier in a .js or .d.ts file: static imports and re-exports (`from "x"`),
 * side-effect imports (`import "x"`), dynamic and type imports (`import("x")`) and `require("x")`.
 * A regular expression is enough for compiler output, whose import statements have one shape.
 */
export function moduleSpecifiers(source: string): string[] {
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const found: string[] = [];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1] ?? "");
  return found;
}

/** "@scope/name" or "name" of a bare specifier such as "@connectrpc/connect/protocol" or "sharp". */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/**
 * Why `specifier`, named in `file` of the package installed at `packageDir`, points outside the
 * package, or undefined when it does not. Relative specifiers must resolve inside the package; bare
 * ones must name a Node built-in ("node:...") or a package the manifest declares (`declared`).
 */
export function escapeOf(
  packageDir: string,
  file: string,
  specifier: string,
  declared: ReadonlySet<string>,
): string | undefined {
  if (specifier.startsWith("node:")) return undefined;
  if (isAbsolute(specifier) || /^[a-z]+:/i.test(specifier)) return `${specifier}: an absolute path or URL`;
  if (specifier.startsWith(".")) {
    const target = resolve(join(file, ".."), specifier);
    const inside = relative(packageDir, target);
    return inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)
      ? `${specifier}: resolves to ${target}, outside the package`
      : undefined;
  }
  const name = packageNameOf(specifier);
  return declared.has(name) ? undefined : `${specifier}: package ${name} is not a dependency of the package`;
}

/** Every file under `dir` (symbolic links are not followed), as absolute paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Bytes of all files under `dir`, the apparent size (what `du --apparent-size` counts). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const file of await filesUnder(dir)) total += (await lstat(file)).size;
  return total;
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The environment for npm and the installed programs in a scratch project: ours minus every npm_*
 * variable (`npm run` sets npm_config_local_prefix and friends, which would point the inner npm
 * at this repository) and minus ONNXRUNTIME_NODE_INSTALL* (CI exports it; the test must prove the
 * dependent project's own setting skips the CUDA download, as a user's machine would).
 */
export function scratchEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (/^npm_/i.test(key) || /^ONNXRUNTIME_NODE_INSTALL/i.test(key)) continue;
    clean[key] = value;
  }
  return clean;
}

export interface RunOptions {
  readonly cwd: string;
  /** Kills the command after this long. */
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command and returns its stdout; a failure says the command, its status and its output's tail. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, [...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      env: options.env ?? scratchEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const failure = e as { code?: unknown; signal?: unknown; stdout?: string; stderr?: string };
    const output = `${failure.stdout ?? ""}\n${failure.stderr ?? ""}`.trim().slice(-4000);
    throw new Error(
      `${command} ${args.join(" ")} (in ${options.cwd}) failed: status ${String(failure.code)}, signal ${String(failure.signal)}\n${output}`,
      { cause: e },
    );
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Polls `url` until it answers 200, `stopped()` says the server exited, or `timeoutMs` passes. */
export async function waitForOk(url: string, timeoutMs: number, stopped: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const exit = stopped();
    if (exit !== undefined) throw new Error(`the server exited before ${url} answered: ${exit}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
