/**
 * In a clone of the repository, `npx florence2` runs the compiled dist/, which `npm ci` builds
 * once: after a `git pull` it would silently run the old code. When the CLI runs from dist/ and
 * the TypeScript sources sit next to it (a clone; the npm package ships no sources), a source
 * file changed after the build gets one warning line naming it and the command that rebuilds.
 */
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** The folders whose .ts files are compiled into dist/ (the package build's inputs). */
export const SOURCE_DIRS = ["cli", "client", "core", "gen", "models", "server", "ui"] as const;

/** A source file and when it last changed, in ms since the epoch. */
export interface SourceTime {
  readonly path: string;
  readonly mtimeMs: number;
}

/** The newest source changed after `builtMs`, or undefined when the build is current. */
export function newestAfter(sources: readonly SourceTime[], builtMs: number): SourceTime | undefined {
  let newest: SourceTime | undefined;
  for (const source of sources) {
    if (source.mtimeMs > builtMs && (newest === undefined || source.mtimeMs > newest.mtimeMs)) newest = source;
  }
  return newest;
}

/** The warning for a build older than `changed` (a path relative to the repository root). */
export function staleBuildMessage(changed: string): string {
  return `florence2: dist/ was built before ${changed} changed; run \`npm run build\` (or \`npm ci\`) so this command runs the current code\n`;
}

/** Every .ts file below `dir` that the build compiles (not tests, not declaration files). */
function tsFiles(dir: string): SourceTime[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry): SourceTime[] => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : tsFiles(path);
    const compiled = entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts");
    return compiled ? [{ path, mtimeMs: statSync(path).mtimeMs }] : [];
  });
}

/**
 * The warning line when `root` is a clone whose dist/ (`builtFile`, written by every build) is
 * older than a source; undefined otherwise, and when there is nothing to compare (no sources, or
 * no build).
 */
export function staleBuildWarning(root: string, builtFile: string): string | undefined {
  let builtMs: number;
  try {
    builtMs = statSync(builtFile).mtimeMs;
  } catch {
    return undefined;
  }
  const sources = SOURCE_DIRS.flatMap((dir) => tsFiles(join(root, dir)));
  const newest = newestAfter(sources, builtMs);
  return newest === undefined ? undefined : staleBuildMessage(relative(root, newest.path));
}
