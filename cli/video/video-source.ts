/**
 * What `florence2 stream --input SOURCE` names, and the ffmpeg/ffprobe arguments that read it. A
 * SOURCE is a stream URL (rtsp://, http(s)://, ...), a camera device (/dev/videoN, read with
 * video4linux2), a folder of images (read without ffmpeg) or a video file. Pure functions; the
 * caller stats the path.
 */
import { UsageError } from "../args.js";

export type VideoSource =
  | { readonly kind: "url"; readonly input: string }
  | { readonly kind: "device"; readonly input: string }
  | { readonly kind: "folder"; readonly input: string }
  | { readonly kind: "file"; readonly input: string };

/** What classifySource needs to know of a path: undefined when it does not exist. */
export interface PathKind {
  readonly isDirectory: boolean;
  readonly isCharacterDevice: boolean;
}

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** How frames are taken from the source. */
export interface DecodeSettings {
  /** Frames per second to resample to (ffmpeg's fps filter); undefined: every frame as decoded. */
  readonly fps?: number | undefined;
  /** Scale every frame to this size; undefined: the source's own size (from ffprobe). */
  readonly size?: FrameSize | undefined;
  /** Read a file at its native frame rate (ffmpeg -re), as a live source would deliver it. */
  readonly realtime?: boolean | undefined;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The kind of `input`, given what the file system says of it (`stat(input)`). */
export function classifySource(input: string, stat: (path: string) => PathKind | undefined): VideoSource {
  if (URL_SCHEME.test(input)) return { kind: "url", input };
  const kind = stat(input);
  if (kind === undefined) {
    const what = input.startsWith("/dev/") ? "no camera device" : "no such file or folder";
    throw new UsageError(`--input ${input}: ${what}; give a video file, a folder of images, a camera or a URL`);
  }
  if (kind.isDirectory) return { kind: "folder", input };
  if (kind.isCharacterDevice) return { kind: "device", input };
  return { kind: "file", input };
}

/** The input half of an ffmpeg or ffprobe command line for `source`. */
export function inputArgs(source: VideoSource, realtime = false): string[] {
  switch (source.kind) {
    case "device":
      return ["-f", "v4l2", "-i", source.input];
    case "url":
      // RTSP over TCP: UDP loses packets (grey smears) behind NAT and on busy links.
      return [...(/^rtsps?:/i.test(source.input) ? ["-rtsp_transport", "tcp"] : []), "-i", source.input];
    case "file":
      return [...(realtime ? ["-re"] : []), "-i", source.input];
    case "folder":
      throw new Error("a folder of images is read without ffmpeg");
  }
}

/** ffmpeg's arguments: decode `source`'s first video stream to raw RGB frames on stdout. */
export function decodeArgs(source: VideoSource, settings: DecodeSettings): string[] {
  const filters = [
    ...(settings.fps !== undefined ? [`fps=${settings.fps}`] : []),
    ...(settings.size !== undefined ? [`scale=${settings.size.width}:${settings.size.height}`] : []),
  ];
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    ...inputArgs(source, settings.realtime === true),
    "-map",
    "0:v:0",
    "-an",
    "-sn",
    "-dn",
    ...(filters.length > 0 ? ["-vf", filters.join(",")] : []),
    // Without a resampling filter, pass every decoded frame once (no duplicates for variable frame rates).
    ...(settings.fps === undefined ? ["-fps_mode", "passthrough"] : []),
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "pipe:1",
  ];
}

/** ffprobe's arguments: the first video stream's size, frame rate and rotation as JSON. */
export function probeArgs(source: VideoSource): string[] {
  return [
    "-v",
    "error",
    ...inputArgs(source),
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height,avg_frame_rate,r_frame_rate:stream_side_data=rotation",
    "-of",
    "json",
  ];
}

export interface ProbedVideo extends FrameSize {
  /** Frames per second, when the container says (live sources and some files do not). */
  readonly fps: number | undefined;
}

/** "30000/1001" -> 29.97; "0/0", "" or nonsense -> undefined. */
export function parseRate(rate: unknown): number | undefined {
  if (typeof rate !== "string") return undefined;
  const [num, den = "1"] = rate.split("/");
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** ffprobe's JSON -> the size ffmpeg's frames will have (a 90-degree rotation, applied by ffmpeg, swaps it) and fps. */
export function parseProbe(json: string): ProbedVideo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("ffprobe printed no readable description of the input");
  }
  const stream = (parsed as { streams?: Record<string, unknown>[] }).streams?.[0];
  const width = stream?.width;
  const height = stream?.height;
  if (typeof width !== "number" || typeof height !== "number" || width < 1 || height < 1)
    throw new Error("the input has no video stream with a frame size");
  const sideData = (stream?.side_data_list as { rotation?: unknown }[] | undefined) ?? [];
  const rotation = sideData.map((d) => d.rotation).find((r) => typeof r === "number") as number | undefined;
  const quarterTurn = rotation !== undefined && Math.abs(rotation) % 180 === 90;
  return {
    width: quarterTurn ? height : width,
    height: quarterTurn ? width : height,
    fps: parseRate(stream?.avg_frame_rate) ?? parseRate(stream?.r_frame_rate),
  };
}

/** "640x480" -> a frame size; both sides even is not required (raw RGB has no chroma subsampling). */
export function parseSize(flag: string, value: string | undefined): FrameSize | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)x(\d+)$/.exec(value.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (match === null || width < 1 || height < 1 || width > 16384 || height > 16384)
    throw new UsageError(`${flag} ${value} must be WIDTHxHEIGHT in pixels, e.g. ${flag} 640x480`);
  return { width, height };
}

/** A frame rate flag: a positive number (fractions like 2.5 allowed). */
export function parseFps(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1000)
    throw new UsageError(`${flag} ${value} must be a number of frames per second > 0, e.g. ${flag} 5`);
  return n;
}

/** Image files a folder source reads (what the server decodes), by extension. */
export const IMAGE_EXTENSIONS: readonly string[] = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif"];

/** The image files among `names`, in natural order (frame2 before frame10). */
export function imageFrameNames(names: readonly string[]): string[] {
  return names
    .filter((n) => IMAGE_EXTENSIONS.some((ext) => n.toLowerCase().endsWith(ext)) && !n.startsWith("."))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
