/**
 * `florence2 stream`'s own flags (the input, its decoding, the stream's backpressure, --draw); the
 * connection, request and model flags are `call`'s and `run`'s rows (command-flags.ts), reused.
 */
import { CALL_FLAGS, MODEL_FLAGS, REQUEST_FLAGS } from "../command-flags.js";
import type { FlagSpec } from "../flag-table.js";

export const STREAM_FLAGS: readonly FlagSpec[] = [
  {
    flag: "input",
    value: "SOURCE",
    help: "required: a video file, a stream URL (rtsp://, http://), a camera (/dev/video0) or a folder of images (sent in name order)",
  },
  {
    flag: "fps",
    value: "N",
    help: "frames per second taken from the input (ffmpeg's fps filter; a folder: the timestamps' rate); default every frame",
  },
  { flag: "size", value: "WxH", help: "scale the frames to this size; default the input's own (from ffprobe)" },
  {
    flag: "realtime",
    help: "read a file (or a folder, at --fps or 1 frame/s) at its frame rate, as a camera delivers it (ffmpeg -re)",
  },
  {
    flag: "backpressure",
    value: "queue|latest",
    help: "queue: every frame is answered and reading slows to the server's pace; latest: frames the server cannot keep up with are skipped",
    default: "queue",
  },
  { flag: "max-in-flight", value: "N", help: "frames the server works on at once", default: "the server's, 1" },
  {
    flag: "change-threshold",
    value: "T",
    help: "skip unchanged frames: a frame whose 32x32 gray thumbnail differs from the last inferred one by less than T (0..1, e.g. 0.02) reuses its result",
    default: "0 (every frame runs)",
  },
  {
    flag: "draw",
    value: "OUT",
    help: "write every answered frame with its result drawn: a video (out.mp4, out.webm), a folder, or a pattern (frames/%06d.png, numbered by frame id)",
  },
  { flag: "ffmpeg", value: "BIN", help: "the ffmpeg binary; ffprobe is taken from the same folder", default: "ffmpeg" },
  {
    flag: "drain-ms",
    value: "N",
    help: "after the end of input or Ctrl-C, how long to wait for the answers still due (a second Ctrl-C stops at once)",
    default: "30000",
  },
];

/** `call`'s request rows without --image and its --draw (the input is --input; --draw is a video here). */
export const STREAM_REQUEST_FLAGS: readonly FlagSpec[] = REQUEST_FLAGS.filter(
  (f) => f.flag !== "image" && f.flag !== "draw",
);

/** Every flag `stream` accepts: its own, the request's, `call`'s connection and (for --model) the engine's. */
export const ALL_STREAM_FLAGS: readonly FlagSpec[] = [
  ...STREAM_FLAGS,
  ...STREAM_REQUEST_FLAGS,
  ...CALL_FLAGS,
  ...MODEL_FLAGS,
];
