/**
 * The import rule of each folder, checked on every source file of the folder (tests next to the
 * sources excluded: they may reach test support under test/). A production file that breaks a rule
 * fails here with the file, the import and the rule, so a boundary cannot erode one import at a
 * time. Imports are read with TypeScript's own pre-parser: static, type-only, re-exports and
 * dynamic `import()` all count.
 */
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Our top-level folders that hold code; an import that lands in none of them is a package. */
const OURS = ["core", "models", "server", "client", "cli", "bench", "gen", "test", "tools"] as const;
type Folder = (typeof OURS)[number];

interface Rule {
  /** What the folder is for, in the words of the failure message. */
  readonly why: string;
  /** Which of our other folders it may import; the folder itself is always allowed. */
  readonly mayImport: readonly Folder[];
  /** Whether npm packages and node: built-ins are allowed. */
  readonly packages: boolean;
}

/** One rule per folder; cli/, bench/ and test/ sit on top and may import any of ours. */
const RULES: Readonly<Partial<Record<Folder, Rule>>> = {
  core: { why: "core/ is the shared nouns and tables and depends on nothing", mayImport: [], packages: false },
  models: {
    why: "models/ is the engine; it knows no transport, no generated protobuf code and no caller",
    mayImport: ["core"],
    packages: true,
  },
  client: {
    why: "client/ ships to browsers and other processes, so it pulls no engine or server code",
    mayImport: ["core", "gen"],
    packages: true,
  },
  server: {
    why: "server/ serves the engine; it does not depend on its own callers",
    mayImport: ["core", "models", "gen"],
    packages: true,
  },
};

const SOURCE = /\.(ts|mts|cts|mjs|js)$/;
const TEST_FILE = /\.test\.ts$/;

function sourceFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return []; // a folder that does not exist (yet) has nothing to check
  }
  return entries.flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return SOURCE.test(e.name) && !TEST_FILE.test(e.name) ? [path] : [];
  });
}

/** The folders tsconfig.build.json compiles into dist/ (its `include`), gen/ left out. */
function builtFolders(): string[] {
  const { config, error } = ts.readConfigFile(join(ROOT, "tsconfig.build.json"), ts.sys.readFile);
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const include = (config as { include?: unknown }).include;
  if (!Array.isArray(include)) throw new Error("tsconfig.build.json has no include list");
  return include.filter((f): f is string => typeof f === "string" && f !== "gen");
}

/** The folder an import lands in: one of ours, "package", or "outside" (relative past the root). */
function importTarget(fromFile: string, specifier: string): Folder | "package" | "outside" {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return "package";
  const target = relative(ROOT, resolve(ROOT, dirname(fromFile), specifier));
  const top = target.split(sep)[0] ?? "";
  if (top === ".." || top === "") return "outside";
  return (OURS as readonly string[]).includes(top) ? (top as Folder) : "outside";
}

/** Every import specifier of a file, in order. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Why an import breaks the folder's rule, or undefined when it keeps it. */
function violation(folder: Folder, rule: Rule, target: Folder | "package" | "outside"): string | undefined {
  if (target === folder) return undefined;
  if (target === "package") return rule.packages ? undefined : "imports a package";
  if (target === "outside") return "imports a file outside the repository's code folders";
  return rule.mayImport.includes(target) ? undefined : `imports ${target}/`;
}

describe("import boundaries", () => {
  it("reads every kind of import", () => {
    const text = [
      'import type { A } from "./a.js";',
      'import { b } from "../gen/b.js";',
      'export * from "../models/c.js";',
      'const d = await import("node:fs");',
      'import "./e.js";',
    ].join("\n");
    expect(importsOf(text)).toEqual(["./a.js", "../gen/b.js", "../models/c.js", "node:fs", "./e.js"]);
  });

  it.each([
    ["client/x.ts", "../models/results.js", "models"],
    ["client/sub/x.ts", "../../gen/florence/v1/task_pb.js", "gen"],
    ["client/x.ts", "./y.js", "client"],
    ["models/x.ts", "@bufbuild/protobuf", "package"],
    ["models/x.ts", "node:fs", "package"],
    ["models/x.ts", "../../elsewhere.js", "outside"],
  ] as const)("%s importing %s lands in %s", (from, specifier, want) => {
    expect(importTarget(from, specifier)).toBe(want);
  });

  it.each([
    ["client", "models", "imports models/"],
    ["client", "gen", undefined],
    ["core", "package", "imports a package"],
    ["models", "server", "imports server/"],
    ["models", "core", undefined],
    ["server", "cli", "imports cli/"],
  ] as const)("a %s file importing %s: %s", (folder, target, want) => {
    const rule = RULES[folder];
    if (rule === undefined) throw new Error(`no rule for ${folder}`);
    expect(violation(folder, rule, target)).toBe(want);
  });

  it.each(Object.entries(RULES) as [Folder, Rule][])("%s/ keeps its rule", (folder, rule) => {
    const broken: string[] = [];
    for (const file of sourceFiles(folder)) {
      for (const specifier of importsOf(readFileSync(join(ROOT, file), "utf8"))) {
        const why = violation(folder, rule, importTarget(file, specifier));
        if (why !== undefined) broken.push(`${file} ${why} ("${specifier}")`);
      }
    }
    expect(broken, rule.why).toEqual([]);
  });

  it("code that the build compiles never imports test support", () => {
    const broken: string[] = [];
    for (const folder of builtFolders()) {
      for (const file of sourceFiles(folder)) {
        for (const specifier of importsOf(readFileSync(join(ROOT, file), "utf8"))) {
          if (importTarget(file, specifier) === "test") broken.push(`${file} imports "${specifier}"`);
        }
      }
    }
    expect(broken, "test support lives under test/ and must not reach dist/").toEqual([]);
  });
});
