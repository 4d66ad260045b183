/**
 * Download progress: the event type the downloader reports, and a one-line terminal progress bar
 * for the CLI. The bar draws only on a TTY, so logs and pipes never get carriage-return noise.
 */

export interface DownloadProgress {
  /** Repo-relative path of the file being fetched, e.g. "onnx/encoder_model.onnx". */
  readonly file: string;
  /** Bytes of this file on disk so far, including bytes kept from an earlier, interrupted download. */
  readonly bytes: number;
  /** Size of the file, when the server said; undefined otherwise. */
  readonly total: number | undefined;
  /** Bytes that were already on disk when this download (re)started; speed excludes them. */
  readonly resumedFrom: number;
  /** 1-based position of this file among the files being fetched, and how many there are. */
  readonly fileIndex: number;
  readonly fileCount: number;
  /** True on the last event of a file (complete and verified). */
  readonly done: boolean;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

/** The part of a stream the bar needs; process.stderr fits. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): unknown;
}

export interface ProgressBarOptions {
  /** Milliseconds clock, injectable for tests. Default Date.now. */
  readonly now: () => number;
  /** Smallest interval between redraws of the same file, in ms. Default 100. */
  readonly minIntervalMs: number;
}

export const progressBarDefaults: Readonly<ProgressBarOptions> = { now: Date.now, minIntervalMs: 100 };

export interface ProgressBar {
  /** Pass as the `progress` option of resolveModel. */
  readonly onProgress: ProgressCallback;
  /** Ends the current line, if one was drawn. Call once when loading finished or failed. */
  finish(): void;
}

const UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/** Decimal units like the hub shows: 1.5 MB = 1,500,000 bytes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Speeds are fractions: whole bytes below 1 kB, one decimal above.
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** The text of one progress line, without control characters; pure, for tests and the bar. */
export function formatProgressLine(p: DownloadProgress, bytesPerSecond: number | undefined, width: number): string {
  const amount = p.total === undefined ? formatBytes(p.bytes) : `${formatBytes(p.bytes)}/${formatBytes(p.total)}`;
  const speed = bytesPerSecond === undefined ? "" : `  ${formatBytes(bytesPerSecond)}/s`;
  const counter = p.fileCount > 1 ? `[${p.fileIndex}/${p.fileCount}] ` : "";
  const tail = `  ${amount}${speed}${p.done ? "  done" : ""}`;
  let bar = "";
  if (p.total !== undefined && p.total > 0) {
    const fraction = Math.min(1, p.bytes / p.total);
    const cells = 20;
    const filled = Math.round(fraction * cells);
    bar = ` [${"#".repeat(filled)}${"-".repeat(cells - filled)}] ${Math.floor(fraction * 100)}%`;
  }
  const line = `${counter}${p.file}${bar}${tail}`;
  // Never wrap: a wrapped line breaks the carriage-return redraw.
  return line.length > width - 1 ? line.slice(0, Math.max(0, width - 1)) : line;
}

/**
 * A progress bar on `stream`: redraws one line (`\r` + clear) per update on a TTY, showing file,
 * bytes/total, percent and speed; writes nothing at all when the stream is not a TTY.
 */
export function createProgressBar(stream: ProgressStream, options: Partial<ProgressBarOptions> = {}): ProgressBar {
  const { now, minIntervalMs } = { ...progressBarDefaults, ...options };
  if (stream.isTTY !== true) return { onProgress: () => {}, finish: () => {} };
  let current: { file: string; startedAt: number; lastDrawAt: number } | undefined;
  let lineOpen = false;
  const onProgress: ProgressCallback = (p) => {
    const t = now();
    if (current?.file !== p.file) {
      if (lineOpen) stream.write("\n");
      current = { file: p.file, startedAt: t, lastDrawAt: Number.NEGATIVE_INFINITY };
    }
    if (!p.done && t - current.lastDrawAt < minIntervalMs) return;
    current.lastDrawAt = t;
    const seconds = (t - current.startedAt) / 1000;
    const speed = seconds > 0 ? (p.bytes - p.resumedFrom) / seconds : undefined;
    stream.write(`\r\x1b[2K${formatProgressLine(p, speed, stream.columns ?? 80)}`);
    lineOpen = true;
    // A finished file keeps its line, ended now, so whatever is written next starts on its own line.
    if (p.done) {
      stream.write("\n");
      lineOpen = false;
      current = undefined;
    }
  };
  return {
    onProgress,
    finish: () => {
      if (lineOpen) stream.write("\n");
      lineOpen = false;
      current = undefined;
    },
  };
}
