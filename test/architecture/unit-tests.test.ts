/**
 * Keeps `npm run test:unit` honest: every test file it runs loads no ONNX model and starts no
 * engine (the rule written in vitest.unit.config.ts), and every exclusion listed there still names
 * a file, so renaming a model test cannot silently move it into the fast set or leave a dead entry.
 */
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import base from "../../vitest.config.js";
import { MODEL_TESTS } from "../../vitest.unit.config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Calls that load a model or start an engine or a worker thread. */
const LOADS_A_MODEL =
  /\b(loadSessions|createFlorence|createLocalEngine|createWorkerEngine|spawnWorker|loadTiny)\s*\(|InferenceSession\.create\s*\(|support\/tiny-model\.js|new Worker\s*\(/;

/** The glob forms the configs use: `**` (any folders), `*` (within one name), literal paths. */
function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith("**/", i)) {
      out += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      out += ".*";
      i += 1;
    } else if (c === "*") out += "[^/]*";
    else out += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function filesUnder(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    if (e.name === "node_modules" || e.name === "fixtures") return [];
    const path = `${dir}/${e.name}`;
    return e.isDirectory() ? filesUnder(path) : [path];
  });
}

const include = (base.test?.include ?? []).map(globToRegExp);
const topFolders = [...new Set((base.test?.include ?? []).map((g) => g.split("/")[0] as string))];
const allTests = topFolders.flatMap(filesUnder).filter((f) => include.some((r) => r.test(f)));
const modelTest = MODEL_TESTS.map(globToRegExp);
const unitTests = allTests.filter((f) => !modelTest.some((r) => r.test(f)));

describe("test:unit", () => {
  it.each([
    ["**/*.tiny.test.ts", "models/stages/encode.tiny.test.ts", true],
    ["**/*.tiny.test.ts", "models/stages/encode.test.ts", false],
    ["test/engine/**", "test/engine/helpers/x.ts", true],
    ["models/**/*.test.ts", "models/prompts.test.ts", true],
    ["models/**/*.test.ts", "server/x.test.ts", false],
  ] as const)("%s matches %s: %s", (glob, path, want) => {
    expect(globToRegExp(glob).test(path)).toBe(want);
  });

  it("finds the suite's test files, some of them model tests", () => {
    expect(unitTests.length).toBeGreaterThan(20);
    expect(unitTests.length).toBeLessThan(allTests.length);
  });

  it("runs no test file that loads a model", () => {
    const loading = unitTests.filter((f) => LOADS_A_MODEL.test(readFileSync(join(ROOT, f), "utf8")));
    expect(loading, "add these to MODEL_TESTS in vitest.unit.config.ts").toEqual([]);
  });

  it.each(MODEL_TESTS.map((g) => [g]))("exclusion %s still names a test file", (glob) => {
    const r = globToRegExp(glob);
    expect(allTests.filter((f) => r.test(f)).length).toBeGreaterThan(0);
  });
});
