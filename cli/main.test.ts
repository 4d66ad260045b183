/**
 * The real CLI, spawned as users run it (`node --import tsx cli/main.ts ...`): help and version
 * exit 0, a bad flag exits 2 pointing at the help, and `serve` with an unreachable hub exits 1 with
 * the download error naming the hub, or keeps retrying under --retry-load until a signal stops it;
 * --listen-after-load opens the port only after the model has loaded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
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
      "--listen-after-load",
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

  it("serve --listen-after-load --retry-load keeps the port shut while the model cannot load", async () => {
    const port = await freePort();
    const run = start([
      "serve",
      "--model",
      "florence-2-base",
      "--port",
      String(port),
      "--retry-load",
      "--listen-after-load",
    ]);
    const deadline = Date.now() + 50_000;
    while (!run.stderr().includes("--retry-load: next attempt") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(run.stderr()).toContain("--retry-load: next attempt");
    expect(await connects(port)).toBe(false);
    run.child.kill("SIGTERM");
    const { code, stderr } = await run.exit;
    expect(code).toBe(0);
    expect(logMessages(stderr)).not.toContain("listening");
  }, 70_000);

  it.each([
    ["without --listen-after-load the port opens first", [], ["listening", "model loaded"]],
    [
      "with --listen-after-load the port opens once the model has loaded",
      ["--listen-after-load"],
      ["model loaded", "listening"],
    ],
  ])(
    "serve: %s",
    async (_name, flags, order) => {
      const run = start(["serve", "--model", "test/fixtures/tiny", "--port", "0", ...flags]);
      const deadline = Date.now() + 50_000;
      const seen = () => logMessages(run.stderr()).filter((m) => m === "listening" || m === "model loaded");
      while (seen().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen()).toEqual(order);
      run.child.kill("SIGTERM");
      expect((await run.exit).code).toBe(0);
    },
    70_000,
  );
});

/** The `msg` of each JSON log line. */
function logMessages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a TCP connection to 127.0.0.1:port is accepted. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
