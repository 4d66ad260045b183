/**
 * Runs `florence2` from source as users run the built one (`node --import tsx cli/main.ts ...`)
 * and collects what it printed and its exit status. `env` is added to this process's environment
 * (set a FLORENCE2_* variable to "" to make sure a developer's shell does not leak into a test).
 */
import { spawn } from "node:child_process";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
