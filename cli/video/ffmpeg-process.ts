/**
 * ffmpeg and ffprobe as child processes: spawned with their stdio piped, their stderr's last lines
 * kept for error messages, and stopped for sure (SIGTERM, then SIGKILL) so no ffmpeg outlives the
 * command. A missing binary is a clear error saying how to install it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { PassThrough, type Readable, type Writable } from "node:stream";

/** The binaries, from --ffmpeg (ffprobe is taken from the same folder). */
export interface FfmpegTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

/** `ffmpeg` -> ffprobe on PATH; `/opt/ff/bin/ffmpeg` -> `/opt/ff/bin/ffprobe`. */
export function ffmpegTools(ffmpeg = "ffmpeg"): FfmpegTools {
  const slash = ffmpeg.lastIndexOf("/");
  return { ffmpeg, ffprobe: `${ffmpeg.slice(0, slash + 1)}ffprobe` };
}

export class FfmpegMissingError extends Error {
  override readonly name = "FfmpegMissingError";
  constructor(binary: string) {
    super(
      `${binary} was not found: install ffmpeg (Debian/Ubuntu: "apt-get install ffmpeg", macOS: "brew install ffmpeg", others: https://ffmpeg.org/download.html) or give its path with --ffmpeg`,
    );
  }
}

export interface ToolExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr (its error messages), trimmed. */
  readonly stderrTail: string;
}

export interface ToolProcess {
  readonly stdout: Readable;
  readonly stdin: Writable;
  /** Resolves once the process is running (rejects with FfmpegMissingError when the binary is missing). */
  readonly started: Promise<void>;
  /** Resolves once the process has exited (rejects with FfmpegMissingError when it could not start). */
  readonly exited: Promise<ToolExit>;
  /** Whether stop() was called: its exit status then is no failure. */
  readonly stopped: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_BYTES = 4096;
const TAIL_LINES = 6;

/** The last few non-empty lines of `text`. */
export function tailLines(text: string, lines = TAIL_LINES): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-lines)
    .join("\n");
}

// Every tool process still running, so an exiting CLI kills them even on a path that forgot to.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts `binary args`; stdin is piped (an encoder reads frames from it), stdout and stderr too. */
export function startTool(binary: string, args: readonly string[]): ToolProcess {
  const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
  running.add(child);
  // Read from the start: when a child exits, Node resumes (discards) any of its stdio streams that
  // nobody reads yet, so a short clip decoded before the first pull would be lost. The pipe keeps
  // backpressure: ffmpeg blocks once this buffer is full.
  const stdout = child.stdout.pipe(new PassThrough({ highWaterMark: 1 << 20 }));
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-TAIL_BYTES);
  });
  // A reader that went away (EPIPE on stdin) shows up as the exit status; nothing to throw here.
  child.stdin.on("error", () => {});
  let stopped = false;
  const exited = new Promise<ToolExit>((resolve, reject) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      running.delete(child);
      reject(e.code === "ENOENT" ? new FfmpegMissingError(binary) : e);
    });
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stderrTail: tailLines(stderr) });
    });
  });
  const started = Promise.race([
    new Promise<void>((resolve) => child.once("spawn", () => resolve())),
    exited.then(() => {}),
  ]);
  // Callers that only stop() must not see an unhandled rejection of a process that never started.
  exited.catch(() => {});
  started.catch(() => {});
  return {
    stdout,
    stdin: child.stdin,
    started,
    exited,
    get stopped() {
      return stopped;
    },
    async stop(graceMs = 2000) {
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        await exited.catch(() => {});
        return;
      }
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited.catch(() => {});
      clearTimeout(timer);
    },
  };
}

/** Runs `binary args` to the end and returns its stdout; a non-zero exit throws with stderr's tail. */
export async function runTool(binary: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const tool = startTool(binary, args);
  tool.stdin.end();
  tool.stdout.setEncoding("utf8");
  let out = "";
  tool.stdout.on("data", (d: string) => {
    out += d;
  });
  const timer = setTimeout(() => void tool.stop(), timeoutMs);
  try {
    const exit = await tool.exited;
    if (tool.stopped) throw new Error(`${binary} did not answer within ${timeoutMs / 1000} s`);
    if (exit.code !== 0) throw new Error(exit.stderrTail || `${binary} exited with status ${exit.code}`);
    return out;
  } finally {
    clearTimeout(timer);
  }
}
