import { describe, expect, it } from "vitest";
import { drawTarget, encodeArgs, frameFileName } from "./draw-sink.js";

describe("drawTarget", () => {
  it.each([
    ["out.mp4", false, { kind: "video", path: "out.mp4" }],
    ["runs/out.webm", false, { kind: "video", path: "runs/out.webm" }],
    ["frames", true, { kind: "images", pattern: "frames/frame-%06d.png" }],
    ["frames/", false, { kind: "images", pattern: "frames/frame-%06d.png" }],
    ["shots/f-%04d.jpg", false, { kind: "images", pattern: "shots/f-%04d.jpg" }],
  ])("%s (a folder: %s)", (out, isDir, expected) => {
    expect(drawTarget(out, isDir)).toEqual(expected);
  });

  it("refuses a name that is neither a video file, a folder nor a pattern", () => {
    expect(() => drawTarget("output", false)).toThrow(/--draw output: give a video file with its extension/);
  });
});

describe("frameFileName", () => {
  it.each([
    ["f-%06d.png", 42, "f-000042.png"],
    ["f-%d.png", 42, "f-42.png"],
    ["f-%3d.png", 1234, "f-1234.png"],
    ["dir/%04d.jpg", 7, "dir/0007.jpg"],
  ])("%s, frame %i -> %s", (pattern, id, expected) => {
    expect(frameFileName(pattern, id)).toBe(expected);
  });
});

describe("encodeArgs", () => {
  it("reads PNG frames from stdin at the given rate, one output frame per input frame", () => {
    const args = encodeArgs("out.mp4", 5);
    expect(args.join(" ")).toMatch(/-f image2pipe -framerate 5 -c:v png -i pipe:0 .*-fps_mode passthrough out\.mp4$/);
    expect(args).toContain("yuv420p");
  });

  it("leaves a GIF's pixel format to ffmpeg", () => {
    expect(encodeArgs("out.gif", 2)).not.toContain("yuv420p");
  });
});
