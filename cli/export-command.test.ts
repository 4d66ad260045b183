import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "./args.js";
import {
  choosePython,
  EXPORT_FLAGS,
  EXPORT_SETUP,
  EXPORT_TOOL,
  EXPORT_VENV_PYTHON,
  exportCommand,
  findPackageRoot,
  toolArguments,
} from "./export-command.js";
import { commandHelp, mainHelp } from "./help.js";

describe("choosePython", () => {
  const root = "/pkg";
  const venv = join(root, EXPORT_VENV_PYTHON);
  const cases = [
    {
      name: "--python wins",
      flag: "/opt/py",
      env: { FLORENCE2_PYTHON: "/env/py" },
      venv: true,
      want: "/opt/py",
      source: "--python",
    },
    {
      name: "then FLORENCE2_PYTHON",
      flag: undefined,
      env: { FLORENCE2_PYTHON: "/env/py" },
      venv: true,
      want: "/env/py",
      source: "FLORENCE2_PYTHON",
    },
    { name: "then the setup venv", flag: undefined, env: {}, venv: true, want: venv, source: "setup venv" },
    {
      name: "an empty variable counts as unset",
      flag: undefined,
      env: { FLORENCE2_PYTHON: "" },
      venv: true,
      want: venv,
      source: "setup venv",
    },
    { name: "else python3", flag: undefined, env: {}, venv: false, want: "python3", source: "PATH" },
  ] as const;
  it.each(cases)("$name", (c) => {
    const choice = choosePython(c.flag, c.env, root, (p) => c.venv && p === venv);
    expect(choice).toEqual({ command: c.want, source: c.source });
  });
});

describe("toolArguments", () => {
  it("passes SRC OUT and every flag given, from the command line or the environment", () => {
    const values = { adapter: "lora", variants: "fp16,q8", "skip-check": true };
    expect(toolArguments(["src", "out"], values, { FLORENCE2_TOLERANCE: "0.01" })).toEqual([
      "src",
      "out",
      "--adapter",
      "lora",
      "--variants",
      "fp16,q8",
      "--tolerance",
      "0.01",
      "--skip-check",
    ]);
  });

  it.each([[[]], [["only-src"]], [["a", "b", "c"]]])("wants exactly SRC and OUT: %j", (positionals) => {
    expect(() => toolArguments(positionals, {}, {})).toThrow(/expected SRC and OUT/);
  });

  it.each(["0", "-1", "abc"])("refuses --tolerance %s", (tolerance) => {
    expect(() => toolArguments(["a", "b"], { tolerance }, {})).toThrow(UsageError);
  });
});

describe("findPackageRoot", () => {
  it("walks up to the folder holding the tool", () => {
    const have = new Set([join("/a/pkg", EXPORT_TOOL)]);
    expect(findPackageRoot("/a/pkg/dist/cli", (p) => have.has(p))).toBe("/a/pkg");
    expect(findPackageRoot("/elsewhere", (p) => have.has(p))).toBeUndefined();
  });

  it("finds this repository's tool", () => {
    expect(findPackageRoot(import.meta.dirname)).toBeDefined();
  });
});

describe("exportCommand", () => {
  it("names the interpreter that cannot start and prints the one-time setup", async () => {
    const run = exportCommand(["src", "out", "--python", "/nonexistent/python3"], () => {}, {});
    await expect(run).rejects.toThrow(/cannot run Python \/nonexistent\/python3 \(from --python: ENOENT\)/);
    await expect(run).rejects.toThrow(EXPORT_SETUP);
  });

  it("--help prints and runs nothing", async () => {
    let printed = 0;
    await exportCommand(["--help"], () => printed++, { FLORENCE2_PYTHON: "/nonexistent" });
    expect(printed).toBe(1);
  });
});

describe("help", () => {
  it("lists export among the commands and documents every export flag with its variable", () => {
    expect(mainHelp()).toMatch(/\n {2}export +convert a fine-tuned checkpoint/);
    const help = commandHelp("export");
    for (const spec of EXPORT_FLAGS) expect(help).toContain(`--${spec.flag}`);
    expect(help).toContain("env FLORENCE2_PYTHON");
    expect(help).toContain(EXPORT_SETUP);
  });
});
