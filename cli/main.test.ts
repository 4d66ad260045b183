/**
 * The real CLI, spawned as users run it (`node --import tsx cli/main.ts ...`): help and version
 * exit 0, a bad flag exits 2 pointing at the help, and `serve` with an unreachable hub exits 1 with
 * the download error naming the hub, or keeps retrying under --retry-load until a signal stops it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const cacheDir = mkdtempSync(join(tmpdir(), "florence2-cli-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; exit: Promise<Exit>; stderr: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: ROOT,
    // An unreachable hub and an empty cache: no test downloads anything or reads the user's cache.
    env: { ...process.env, HF_ENDPOINT: "http://127.0.0.1:1", FLORENCE2_CACHE: cacheDir, HF_HUB_OFFLINE: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<Exit>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, exit, stderr: () => stderr };
}

const cli = (...args: string[]) => start(args).exit;

describe.concurrent("florence2", () => {
  it.each([["--help"], ["help", "run"], ["run", "-h"], ["call", "--help"]])(
    "%j exits 0 with the help on stdout",
    async (...args) => {
      const { code, stdout } = await cli(...args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: florence2 /);
    },
  );

  it("serve --help exits 0 listing the model, server and hub settings", async () => {
    const { code, stdout } = await cli("serve", "--help");
    expect(code).toBe(0);
    for (const text of [
      "--model DIR|ID",
      "env FLORENCE2_MODEL",
      "--max-connections N",
      "--retry-load",
      "HF_TOKEN",
      "HF_ENDPOINT",
      "HF_HUB_OFFLINE",
      "FLORENCE2_CACHE",
    ]) {
      expect(stdout).toContain(text);
    }
  });

  it("--version prints the package's version", async () => {
    expect(await cli("--version")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it.each([
    [["serve", "--bogus"], /florence2 serve: Unknown option '--bogus'\nRun "florence2 serve --help"/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["run", "--model", "m", "--task", "<NOPE>", "--image", "x.jpg"], /--task <NOPE> is not a Florence-2 task/],
  ])("%j exits 2 naming the problem", async (args, message) => {
    const { code, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("serve exits 1 within a minute when the hub cannot be reached, naming the hub", async () => {
    const started = performance.now();
    const { code, stderr } = await cli("serve", "--model", "florence-2-base", "--port", "0");
    expect(code).toBe(1);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(stderr).toMatch(
      /florence2 serve: download: fetching onnx-community\/Florence-2-base failed .*the hub at http:\/\/127\.0\.0\.1:1 can be reached/,
    );
    expect(stderr).not.toMatch(/undici|TypeError/);
  }, 70_000);

  it("serve --retry-load keeps trying until SIGTERM, then exits 0", async () => {
    const run = start(["serve", "--model", "florence-2-base", "--port", "0", "--retry-load"]);
    const deadline = Date.now() + 50_000;
    while (!run.stderr().includes("--retry-load: next attempt") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(run.stderr()).toContain("the hub at http://127.0.0.1:1");
    run.child.kill("SIGTERM");
    const { code } = await run.exit;
    expect(code).toBe(0);
  }, 70_000);
});
