import { describe, expect, it } from "vitest";
import { FfmpegMissingError, ffmpegTools, runTool, startTool, tailLines } from "./ffmpeg-process.js";

describe("ffmpegTools", () => {
  it.each([
    [undefined, { ffmpeg: "ffmpeg", ffprobe: "ffprobe" }],
    ["/opt/ff/bin/ffmpeg", { ffmpeg: "/opt/ff/bin/ffmpeg", ffprobe: "/opt/ff/bin/ffprobe" }],
    ["./ffmpeg", { ffmpeg: "./ffmpeg", ffprobe: "./ffprobe" }],
  ])("%s", (given, expected) => {
    expect(ffmpegTools(given)).toEqual(expected);
  });
});

describe("tailLines", () => {
  it.each([
    ["a\nb\n\nc\n", 2, "b\nc"],
    ["  one  \r\n", 6, "one"],
    ["", 6, ""],
  ])("%j, last %i lines", (text, n, expected) => {
    expect(tailLines(text, n)).toBe(expected);
  });
});

describe("startTool", () => {
  it("a missing binary fails with how to install ffmpeg", async () => {
    const tool = startTool("/nonexistent/ffmpeg", ["-version"]);
    await expect(tool.started).rejects.toBeInstanceOf(FfmpegMissingError);
    await expect(tool.exited).rejects.toThrow(/apt-get install ffmpeg/);
  });

  it("stop() ends a running process and resolves once it is gone", async () => {
    const tool = startTool("sleep", ["30"]);
    await tool.started;
    await tool.stop(500);
    const exit = await tool.exited;
    expect(exit.signal).toBe("SIGTERM");
    expect(tool.stopped).toBe(true);
  });

  it("runTool returns stdout, and a failure carries stderr's last lines", async () => {
    expect(await runTool("sh", ["-c", "echo out; echo noise >&2"])).toBe("out\n");
    await expect(runTool("sh", ["-c", "echo first >&2; echo 'the reason' >&2; exit 3"])).rejects.toThrow(
      /first\nthe reason/,
    );
  });
});
