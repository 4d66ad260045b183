/**
 * --draw OUT: where annotated frames go. A video file is written by a second ffmpeg reading PNG
 * frames from its stdin (image2pipe, one output frame per input frame); a folder or a printf-style
 * pattern (frames/f-%04d.png) gets one PNG per frame, named by frame id.
 */
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UsageError } from "../args.js";
import { startTool, type ToolProcess } from "./ffmpeg-process.js";

export type DrawTarget =
  | { readonly kind: "video"; readonly path: string }
  | { readonly kind: "images"; readonly pattern: string };

const PATTERN = /%0?(\d*)d/;

/** OUT as a target: an existing folder or a trailing "/" -> images in it; a "%d"/"%06d" pattern -> those images; else a video. */
export function drawTarget(out: string, isDirectory: boolean): DrawTarget {
  if (PATTERN.test(out)) return { kind: "images", pattern: out };
  if (isDirectory || out.endsWith("/")) return { kind: "images", pattern: join(out, "frame-%06d.png") };
  if (!/\.[a-z0-9]+$/i.test(out))
    throw new UsageError(
      `--draw ${out}: give a video file with its extension (out.mp4), a folder (frames/) or a pattern (frames/%06d.png)`,
    );
  return { kind: "video", path: out };
}

/** The file of frame `id` under a printf-style pattern: %d, or %Nd / %0Nd (both zero-padded to N digits). */
export function frameFileName(pattern: string, id: number): string {
  return pattern.replace(PATTERN, (_, width: string) => String(id).padStart(Number(width || "0"), "0"));
}

/** ffmpeg's arguments to encode PNG frames from stdin into `path` at `fps`, frame for frame. */
export function encodeArgs(path: string, fps: number): string[] {
  // H.264/VP9 in 4:2:0 need even sides; a GIF keeps its palette pipeline.
  const yuv = /\.gif$/i.test(path) ? [] : ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p"];
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "image2pipe",
    "-framerate",
    String(fps),
    "-c:v",
    "png",
    "-i",
    "pipe:0",
    ...yuv,
    "-fps_mode",
    "passthrough",
    path,
  ];
}

export interface FrameSink {
  /** Writes frame `id`'s annotated PNG. */
  write(id: number, png: Uint8Array): Promise<void>;
  /** Finishes the output; resolves to the number of frames written. */
  close(): Promise<number>;
  /** Stops without finishing (the command failed); the video may be incomplete. */
  abort(): Promise<void>;
}

/** Opens `target`; a video's encoder starts now so a bad path fails before the first frame. */
export async function openDrawSink(target: DrawTarget, fps: number, ffmpeg: string): Promise<FrameSink> {
  if (target.kind === "images") {
    await mkdir(dirname(frameFileName(target.pattern, 0)), { recursive: true });
    let written = 0;
    return {
      async write(id, png) {
        await writeFile(frameFileName(target.pattern, id), png);
        written += 1;
      },
      close: async () => written,
      abort: async () => {},
    };
  }
  await mkdir(dirname(target.path), { recursive: true });
  const tool: ToolProcess = startTool(ffmpeg, encodeArgs(target.path, fps));
  tool.stdout.resume();
  let written = 0;
  const failed = (exit: { code: number | null; stderrTail: string }) =>
    new Error(
      `ffmpeg could not write --draw ${target.path} (exit status ${exit.code}): ${exit.stderrTail || "no message"}`,
    );
  return {
    async write(_id, png) {
      if (!tool.stdin.write(png)) {
        const exit = await Promise.race([once(tool.stdin, "drain").then(() => undefined), tool.exited]);
        if (exit !== undefined) throw failed(exit);
      }
      written += 1;
    },
    async close() {
      tool.stdin.end();
      const exit = await tool.exited;
      if (exit.code !== 0) throw failed(exit);
      return written;
    },
    abort: () => tool.stop(),
  };
}
