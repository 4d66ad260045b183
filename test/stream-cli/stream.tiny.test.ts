/**
 * `florence2 stream` as users run it (the CLI spawned with tsx) against a real server on the
 * random-weight tiny model started in this process: a clip made by ffmpeg, a folder of images,
 * --draw into a video (frame count checked with ffprobe) and into a folder, the latest mode, Ctrl-C
 * (half-close, summary, no ffmpeg left), and the clear errors. Needs Debian's ffmpeg; without it
 * the tests are skipped with that reason (.ci/stream-check installs it and always runs them).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence } from "../../models/index.js";
import { type RunningServer, startServer } from "../../server/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function hasFfmpeg(): boolean {
  try {
    execFileSync("ffmpeg", ["-version"], { stdio: "ignore" });
    execFileSync("ffprobe", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const FFMPEG = hasFfmpeg();
if (!FFMPEG) console.warn("test/stream-cli skipped: ffmpeg/ffprobe not on PATH (apt-get install ffmpeg)");

interface Exit {
  readonly code: number | null;
  /** stdout's JSON lines, parsed. */
  readonly lines: Record<string, unknown>[];
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI, spawned; `onLine` sees each stdout JSON line as it comes. */
function stream(args: readonly string[], onLine?: (line: Record<string, unknown>, child: ChildProcess) => void) {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "stream", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    buffered += d;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      onLine?.(line, child);
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise<Exit>((resolve) => child.on("close", (code) => resolve({ code, lines, stdout, stderr })));
}

/** Frames of a clip of `seconds` at `rate` frames/s is seconds * rate; ffprobe counts what a file holds. */
function countFrames(file: string): number {
  const out = execFileSync("ffprobe", [
    ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
    ...["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file],
  ]);
  return Number(out.toString().trim());
}

/** Processes whose command line mentions `needle` (an ffmpeg reading our clip would). */
function processesMentioning(needle: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const REQUEST = ["--task", "<OD>", "--num-beams", "1", "--max-new-tokens", "6"];

describe("florence2 stream --help", () => {
  it("exits 0 listing the input, request, connection and in-process flags with their variables", async () => {
    const { code, stdout, stderr } = await stream(["--help"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Usage: florence2 stream /);
    for (const flag of [
      "--input SOURCE",
      "--backpressure queue|latest",
      "--draw OUT",
      "--task TOKEN",
      "--url URL",
      "--model DIR|ID",
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain("env FLORENCE2_INPUT");
    expect(stdout).not.toContain("--image");
  });
});

describe.skipIf(!FFMPEG)("florence2 stream", () => {
  let work: string;
  let running: RunningServer;
  let url: string;
  let clip: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "florence2-stream-"));
    clip = join(work, "clip.mp4");
    // testsrc: 2 s at 5 frames/s = 10 frames of 64x48.
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x48:rate=5", clip]);
    const engine = await createFlorence({ model: join(ROOT, "test/fixtures/tiny"), offline: true });
    running = await startServer({ engine, host: "127.0.0.1", port: 0, handleSignals: false, logLevel: "warn" });
    url = running.address.url;
  });

  afterAll(async () => {
    await running?.server.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("sends every frame of a clip and prints one line per frame in order, then the summary", async () => {
    const { code, lines, stderr } = await stream(["--url", url, "--input", clip, ...REQUEST]);
    expect(code, stderr).toBe(0);
    const frames = lines.slice(0, -1);
    expect(frames.map((l) => l.frame)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(frames.map((l) => l.timestampUs)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18].map((t) => t * 100_000));
    for (const l of frames) {
      expect(l).toMatchObject({ outcome: "result", task: "object_detection" });
      expect(l.result).toMatchObject({ kind: "detections", imageSize: { width: 64, height: 48 } });
    }
    expect(lines.at(-1)).toMatchObject({ summary: true, sent: 10, answered: 10, results: 10, skipped: 0, errors: 0 });
    expect((lines.at(-1) as { fps: number }).fps).toBeGreaterThan(0);
    expect(stderr).toMatch(/file 64x48 at 5 fps/);
  });

  it("--fps resamples and --draw writes a video with one frame per answered frame", async () => {
    const out = join(work, "drawn.mp4");
    const { code, lines, stderr } = await stream([
      "--url",
      url,
      "--input",
      clip,
      "--fps",
      "2",
      "--draw",
      out,
      ...REQUEST,
    ]);
    expect(code, stderr).toBe(0);
    const summary = lines.at(-1) as { results: number; drawn: number };
    expect(summary).toMatchObject({ sent: 4, results: 4, drawn: 4 });
    expect(countFrames(out)).toBe(summary.results);
  });

  it("reads a folder of images in name order (no ffmpeg) and draws into a folder by frame id", async () => {
    const folder = join(work, "images");
    mkdirSync(folder);
    execFileSync("ffmpeg", ["-v", "error", "-i", clip, "-frames:v", "3", join(folder, "shot%d.png")]);
    writeFileSync(join(folder, "notes.txt"), "not an image");
    const drawn = join(work, "drawn-frames");
    const { code, lines, stderr } = await stream(["--url", url, "--input", folder, "--draw", `${drawn}/`, ...REQUEST]);
    expect(code, stderr).toBe(0);
    expect(lines.at(-1)).toMatchObject({ sent: 3, results: 3, drawn: 3 });
    expect(readdirSync(drawn).sort()).toEqual(["frame-000000.png", "frame-000001.png", "frame-000002.png"]);
  });

  it("--backpressure latest answers every frame, skipped ones included", async () => {
    const { code, lines, stderr } = await stream([
      ...["--url", url, "--input", clip, "--backpressure", "latest", "--realtime", ...REQUEST],
    ]);
    expect(code, stderr).toBe(0);
    const summary = lines.at(-1) as { sent: number; results: number; skipped: number; unanswered: number };
    expect(summary.sent).toBe(10);
    expect(summary.results + summary.skipped).toBe(10);
    expect(summary.unanswered).toBe(0);
    for (const l of lines.filter((x) => x.outcome === "skipped")) expect(l.reason).toMatch(/superseded by frame/);
  });

  it("runs the engine in this process with --model", async () => {
    const { code, lines, stderr } = await stream([
      "--model",
      "test/fixtures/tiny",
      "--input",
      clip,
      "--fps",
      "1",
      ...REQUEST,
    ]);
    expect(code, stderr).toBe(0);
    expect(lines.at(-1)).toMatchObject({ sent: 2, results: 2 });
  });

  it("on Ctrl-C stops reading, waits for the answers due, prints the summary and leaves no ffmpeg", async () => {
    const long = join(work, "long-clip.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=duration=20:size=64x48:rate=10", long]);
    let signalled = false;
    const { code, lines, stderr } = await stream(
      ["--url", url, "--input", long, "--realtime", ...REQUEST],
      (l, child) => {
        if (!signalled && l.outcome === "result") {
          signalled = true;
          child.kill("SIGINT");
        }
      },
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/SIGINT: no more frames/);
    const summary = lines.at(-1) as { summary: boolean; sent: number; answered: number; unanswered: number };
    expect(summary.summary).toBe(true);
    expect(summary.sent).toBeLessThan(200);
    expect(summary.answered).toBe(summary.sent);
    expect(summary.unanswered).toBe(0);
    expect(processesMentioning(long)).toEqual([]);
  });

  it.each([
    [
      ["--ffmpeg", "/nonexistent/bin/ffmpeg"],
      1,
      /ffprobe was not found: install ffmpeg \(Debian\/Ubuntu: "apt-get install ffmpeg"/,
    ],
    [["--url", "http://127.0.0.1:1"], 1, /cannot reach the server at http:\/\/127\.0\.0\.1:1 .*florence2 serve/],
    [["--backpressure", "fast"], 2, /--backpressure fast is not a mode/],
    [["--size", "64"], 2, /--size 64 must be WIDTHxHEIGHT/],
  ])("%j exits %i saying what to fix", async (extra, status, message) => {
    const { code, stderr } = await stream(["--url", url, "--input", clip, ...REQUEST, ...extra]);
    expect(code).toBe(status);
    expect(stderr).toMatch(message);
  });

  it("an input that is not there, or not video, is named with ffmpeg's reason", async () => {
    const missing = await stream(["--url", url, "--input", join(work, "missing.mp4"), ...REQUEST]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.mp4: no such file or folder/);
    const bad = join(work, "bad.mp4");
    writeFileSync(bad, "not a video");
    const undecodable = await stream(["--url", url, "--input", bad, ...REQUEST]);
    expect(undecodable.code).toBe(1);
    expect(undecodable.stderr).toMatch(
      /bad\.mp4: ffprobe cannot read it as video: .*(moov atom not found|Invalid data)/s,
    );
  });
});
