import { describe, expect, it } from "vitest";
import {
  classifySource,
  decodeArgs,
  imageFrameNames,
  type PathKind,
  parseFps,
  parseProbe,
  parseRate,
  parseSize,
  probeArgs,
  type VideoSource,
} from "./video-source.js";

const FS: Readonly<Record<string, PathKind>> = {
  "clip.mp4": { isDirectory: false, isCharacterDevice: false },
  frames: { isDirectory: true, isCharacterDevice: false },
  "/dev/video0": { isDirectory: false, isCharacterDevice: true },
};
const stat = (p: string) => FS[p];

describe("classifySource", () => {
  it.each([
    ["rtsp://cam.local:554/stream", "url"],
    ["http://example.com/live.m3u8", "url"],
    ["clip.mp4", "file"],
    ["frames", "folder"],
    ["/dev/video0", "device"],
  ])("%s is a %s", (input, kind) => {
    expect(classifySource(input, stat)).toEqual({ kind, input });
  });

  it.each([
    ["missing.mp4", /--input missing.mp4: no such file or folder/],
    ["/dev/video7", /--input \/dev\/video7: no camera device/],
  ])("%s that does not exist is a usage error", (input, message) => {
    expect(() => classifySource(input, stat)).toThrow(message);
  });
});

const file: VideoSource = { kind: "file", input: "clip.mp4" };

describe("decodeArgs", () => {
  it.each([
    [
      "every frame of a file",
      file,
      {},
      ["-i", "clip.mp4", "-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough", "-f", "rawvideo"],
    ],
    ["resampled and scaled", file, { fps: 2, size: { width: 64, height: 48 } }, ["-vf", "fps=2,scale=64:48", "-f"]],
    ["a file in real time", file, { realtime: true }, ["-re", "-i", "clip.mp4"]],
    [
      "an RTSP camera over TCP",
      { kind: "url", input: "rtsp://cam/1" } as const,
      {},
      ["-rtsp_transport", "tcp", "-i", "rtsp://cam/1"],
    ],
    [
      "a V4L2 device",
      { kind: "device", input: "/dev/video0" } as const,
      { fps: 5 },
      ["-f", "v4l2", "-i", "/dev/video0"],
    ],
  ])("%s", (_, source, settings, expected) => {
    const args = decodeArgs(source, settings);
    const at = args.indexOf(expected[0] as string);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(args.slice(at, at + expected.length)).toEqual(expected);
    expect(args.slice(-5)).toEqual(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
    expect(args).toContain("-nostdin");
  });

  it("does not add -re or -fps_mode passthrough unless asked / needed", () => {
    const args = decodeArgs(file, { fps: 5 });
    expect(args).not.toContain("-re");
    expect(args).not.toContain("-fps_mode");
  });

  it("a folder is not for ffmpeg", () => {
    expect(() => decodeArgs({ kind: "folder", input: "frames" }, {})).toThrow(/without ffmpeg/);
  });

  it("probeArgs asks for the first video stream as JSON", () => {
    expect(probeArgs(file)).toEqual(expect.arrayContaining(["-i", "clip.mp4", "-select_streams", "v:0", "json"]));
  });
});

describe("parseProbe", () => {
  const probe = (stream: Record<string, unknown>) => JSON.stringify({ streams: [stream] });
  it.each([
    ["a plain file", probe({ width: 320, height: 240, avg_frame_rate: "5/1" }), { width: 320, height: 240, fps: 5 }],
    [
      "NTSC rate, r_frame_rate as fallback",
      probe({ width: 640, height: 480, avg_frame_rate: "0/0", r_frame_rate: "30000/1001" }),
      { width: 640, height: 480, fps: 30000 / 1001 },
    ],
    [
      "a phone video rotated 90 degrees",
      probe({ width: 1920, height: 1080, avg_frame_rate: "30/1", side_data_list: [{ rotation: -90 }] }),
      { width: 1080, height: 1920, fps: 30 },
    ],
    [
      "rotated 180 keeps its size",
      probe({ width: 1920, height: 1080, side_data_list: [{ rotation: 180 }] }),
      { width: 1920, height: 1080, fps: undefined },
    ],
  ])("%s", (_, json, expected) => {
    expect(parseProbe(json)).toEqual(expected);
  });

  it.each([
    ["{}", /no video stream/],
    [JSON.stringify({ streams: [{ width: 0, height: 10 }] }), /no video stream/],
    ["not json", /no readable description/],
  ])("refuses %s", (json, message) => {
    expect(() => parseProbe(json)).toThrow(message);
  });

  it.each([
    ["25/1", 25],
    ["30000/1001", 30000 / 1001],
    ["12", 12],
    ["0/0", undefined],
    [undefined, undefined],
  ])("parseRate(%j) = %f", (rate, expected) => {
    expect(parseRate(rate)).toBe(expected);
  });
});

describe("flag values", () => {
  it.each([
    ["640x480", { width: 640, height: 480 }],
    [" 32x16 ", { width: 32, height: 16 }],
    [undefined, undefined],
  ])("parseSize(%j)", (value, expected) => {
    expect(parseSize("--size", value)).toEqual(expected);
  });

  it.each(["640", "0x10", "axb", "640x480x3", "99999x1"])("parseSize refuses %s with an example", (value) => {
    expect(() => parseSize("--size", value)).toThrow(/WIDTHxHEIGHT.*e\.g\. --size 640x480/);
  });

  it.each([
    ["5", 5],
    ["2.5", 2.5],
    [undefined, undefined],
  ])("parseFps(%j)", (value, expected) => {
    expect(parseFps("--fps", value)).toBe(expected);
  });

  it.each(["0", "-1", "fast", "Infinity"])("parseFps refuses %s", (value) => {
    expect(() => parseFps("--fps", value)).toThrow(/frames per second > 0/);
  });
});

describe("imageFrameNames", () => {
  it("keeps image files in natural order, skipping other and hidden files", () => {
    expect(
      imageFrameNames(["frame10.png", "frame2.JPG", "notes.txt", ".frame0.png", "frame1.webp", "frame3.jpeg"]),
    ).toEqual(["frame1.webp", "frame2.JPG", "frame3.jpeg", "frame10.png"]);
  });
});
