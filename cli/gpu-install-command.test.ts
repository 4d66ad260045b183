/**
 * `florence2 gpu-install`: the installer's arguments from flags and FLORENCE2_* variables (table),
 * and the command run as users run it: its help, a usage error, and the real installer reached
 * through the package (offline with an empty cache, it stops with its own message before changing
 * anything).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../test/support/run-cli.js";
import { UsageError } from "./args.js";
import { installerArguments } from "./gpu-install-command.js";

describe("installerArguments", () => {
  it.each<[string, string[], Record<string, unknown>, Record<string, string>, string[]]>([
    ["nothing", [], {}, {}, []],
    ["prefix and offline", [], { prefix: "/opt/cuda", offline: true }, {}, ["--prefix", "/opt/cuda", "--offline"]],
    ["wheels from the environment", [], {}, { FLORENCE2_GPU_WHEELS: "/mnt/wheels" }, ["--wheels", "/mnt/wheels"]],
    ["remove", [], { remove: true }, {}, ["--remove"]],
    ["offline from the environment", [], {}, { FLORENCE2_OFFLINE: "1" }, ["--offline"]],
    ["the command line wins", [], { prefix: "/a" }, { FLORENCE2_GPU_PREFIX: "/b" }, ["--prefix", "/a"]],
  ])("%s", (_name, positionals, values, env, expected) => {
    expect(installerArguments(positionals, values, env)).toEqual(expected);
  });

  it("refuses arguments it does not take", () => {
    expect(() => installerArguments(["now"], {}, {})).toThrow(UsageError);
  });
});

const scratch = mkdtempSync(join(tmpdir(), "florence2-gpu-install-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const florence2 = (args: string[]) =>
  runCli(args, { FLORENCE2_GPU_PREFIX: "", FLORENCE2_GPU_WHEELS: "", FLORENCE2_OFFLINE: "" });

describe("florence2 gpu-install", () => {
  it("prints its flags with --help", async () => {
    const { code, stdout } = await florence2(["gpu-install", "--help"]);
    expect(code).toBe(0);
    for (const flag of ["--prefix DIR", "--wheels DIR", "--offline", "--remove", "580.65.06"])
      expect(stdout).toContain(flag);
  }, 60_000);

  it("exits 2 for an argument it does not take", async () => {
    const { code, stderr } = await florence2(["gpu-install", "everything"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/gpu-install takes no arguments/);
  }, 60_000);

  it("runs the package's installer: offline with an empty cache it says what to do and fails", async () => {
    const { code, stderr } = await florence2(["gpu-install", "--offline", "--prefix", scratch]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--offline, and .* lacks onnxruntime-gpu==.*copy a filled wheel cache there/s);
  }, 60_000);
});
