/**
 * The frames of a --input SOURCE, pulled one at a time (so a slow server slows the reading: the
 * stream's backpressure reaches ffmpeg through its stdout pipe). Video files, URLs and cameras are
 * decoded by ffmpeg to raw RGB; a folder of images is read file by file, sorted by name, and sent
 * encoded (the server decodes it).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { EncodedImage, RawImage } from "../../core/inputs.js";
import { UsageError } from "../args.js";
import { type FfmpegTools, runTool, startTool, type ToolProcess } from "./ffmpeg-process.js";
import { splitFrames } from "./frame-splitter.js";
import {
  type DecodeSettings,
  decodeArgs,
  type FrameSize,
  imageFrameNames,
  IMAGE_EXTENSIONS,
  parseProbe,
  probeArgs,
  type VideoSource,
} from "./video-source.js";

export interface SourceFrame {
  /** 0, 1, 2, ... in reading order; sent as the frame id. */
  readonly index: number;
  /** Media time (index / fps) when the frame rate is known, else microseconds since reading began. */
  readonly timestampUs: number;
  readonly image: RawImage | EncodedImage;
}

export interface FrameSource {
  readonly frames: AsyncIterable<SourceFrame>;
  /** Frames per second of the timestamps (--fps or the container's), when known. */
  readonly fps: number | undefined;
  /** e.g. "video 320x240 at 5 fps"; for the log line on stderr. */
  readonly description: string;
  /** Stops reading: the frames end after the current one (ffmpeg is stopped). */
  stop(): Promise<void>;
  /** Once the frames have ended: why the input failed (undecodable, truncated), if it did. */
  readonly failure: () => Error | undefined;
}

/** Microsecond timestamp of frame `index`. */
function timestamp(index: number, fps: number | undefined, startedAt: number): number {
  return fps !== undefined ? Math.round((index * 1e6) / fps) : Math.round((performance.now() - startedAt) * 1000);
}

/** Opens `source`: probes its frame size (unless settings.size is given) and starts decoding. */
export async function openFrameSource(
  source: VideoSource,
  settings: DecodeSettings,
  tools: FfmpegTools,
): Promise<FrameSource> {
  return source.kind === "folder" ? openFolder(source.input, settings) : openVideo(source, settings, tools);
}

async function probeSize(source: VideoSource, tools: FfmpegTools): Promise<{ size: FrameSize; fps?: number }> {
  try {
    const probed = parseProbe(await runTool(tools.ffprobe, probeArgs(source)));
    return { size: probed, ...(probed.fps !== undefined ? { fps: probed.fps } : {}) };
  } catch (e) {
    if (e instanceof Error && e.name === "FfmpegMissingError") throw e;
    throw new Error(`--input ${source.input}: ffprobe cannot read it as video: ${(e as Error).message}`);
  }
}

async function openVideo(source: VideoSource, settings: DecodeSettings, tools: FfmpegTools): Promise<FrameSource> {
  // A file or URL is probed even with --size: its frame rate gives the timestamps (and a bad input
  // fails before anything connects). A camera with --size is not: it may refuse a second opener.
  const probe = settings.size === undefined || source.kind !== "device";
  const probed = probe ? await probeSize(source, tools) : undefined;
  const size = settings.size ?? (probed?.size as FrameSize);
  const fps = settings.fps ?? probed?.fps;
  const tool: ToolProcess = startTool(tools.ffmpeg, decodeArgs(source, settings));
  tool.stdin.end();
  // A missing ffmpeg fails here, before anything connects.
  await tool.started;
  let failure: Error | undefined;
  let truncated = 0;
  async function* frames(): AsyncGenerator<SourceFrame> {
    const startedAt = performance.now();
    let index = 0;
    try {
      for await (const data of splitFrames(tool.stdout, size.width * size.height * 3, (n) => {
        truncated = n;
      })) {
        const image: RawImage = { kind: "raw", data, width: size.width, height: size.height, format: "rgb" };
        yield { index, timestampUs: timestamp(index, fps, startedAt), image };
        index += 1;
      }
      const exit = await tool.exited;
      if (!tool.stopped && exit.code !== 0)
        failure = new Error(
          `ffmpeg could not decode --input ${source.input} (exit status ${exit.code ?? exit.signal}): ${exit.stderrTail || "no message"}`,
        );
      else if (!tool.stopped && index === 0) failure = new Error(`--input ${source.input}: ffmpeg decoded no frames`);
      else if (!tool.stopped && truncated > 0)
        failure = new Error(`--input ${source.input}: the last frame was cut short (${truncated} bytes)`);
    } finally {
      await tool.stop();
    }
  }
  return {
    frames: frames(),
    fps,
    description: `${source.kind} ${size.width}x${size.height}${fps !== undefined ? ` at ${Number(fps.toFixed(3))} fps` : ""}`,
    stop: () => tool.stop(),
    failure: () => failure,
  };
}

async function openFolder(folder: string, settings: DecodeSettings): Promise<FrameSource> {
  const names = imageFrameNames(await readdir(folder));
  if (names.length === 0)
    throw new UsageError(`--input ${folder} holds no image files (${IMAGE_EXTENSIONS.join(", ")})`);
  if (settings.size !== undefined)
    throw new UsageError("--size scales ffmpeg's frames; a folder's images are sent as they are");
  let stopped = false;
  const fps = settings.fps;
  async function* frames(): AsyncGenerator<SourceFrame> {
    const startedAt = performance.now();
    for (const [index, name] of names.entries()) {
      if (stopped) return;
      if (settings.realtime === true) {
        const due = startedAt + (index * 1000) / (fps ?? 1);
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const data = await readFile(join(folder, name));
      yield { index, timestampUs: timestamp(index, fps, startedAt), image: { kind: "encoded", data } };
    }
  }
  return {
    frames: frames(),
    fps,
    description: `folder of ${names.length} images`,
    stop: async () => {
      stopped = true;
    },
    failure: () => undefined,
  };
}
