import { describe, expect, it } from "vitest";
import type { DownloadProgress } from "./progress.js";
import { createProgressBar, formatBytes, formatProgressLine } from "./progress.js";

const event = (bytes: number, extra: Partial<DownloadProgress> = {}): DownloadProgress => ({
  file: "onnx/encoder_model.onnx",
  bytes,
  total: 2_000_000,
  resumedFrom: 0,
  fileIndex: 1,
  fileCount: 1,
  done: false,
  ...extra,
});

class FakeStream {
  readonly writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
}

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [547.6190476190476, "548 B"],
    [1000, "1.0 kB"],
    [1_500_000, "1.5 MB"],
    [388_000_000, "388.0 MB"],
    [1_450_000_000, "1.4 GB"],
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe("formatProgressLine", () => {
  it("shows file, bar, percent, bytes/total and speed", () => {
    expect(formatProgressLine(event(500_000), 250_000, 200)).toBe(
      "onnx/encoder_model.onnx [#####---------------] 25%  500.0 kB/2.0 MB  250.0 kB/s",
    );
  });

  it("shows the file counter, and just bytes when the total is unknown", () => {
    expect(
      formatProgressLine(event(1234, { total: undefined, fileIndex: 2, fileCount: 9, done: true }), undefined, 200),
    ).toBe("[2/9] onnx/encoder_model.onnx  1.2 kB  done");
  });

  it("never exceeds the terminal width", () => {
    expect(formatProgressLine(event(1), 1, 20)).toHaveLength(19);
  });
});

describe("createProgressBar", () => {
  it("redraws one line on a TTY, with speed over the bytes of this run", () => {
    let t = 0;
    const stream = new FakeStream(true);
    const bar = createProgressBar(stream, { now: () => t });
    bar.onProgress(event(100_000, { resumedFrom: 100_000 }));
    t = 2000;
    bar.onProgress(event(1_100_000, { resumedFrom: 100_000 }));
    bar.finish();
    expect(stream.writes).toHaveLength(3);
    expect(stream.writes[1]?.startsWith("\r\u001b[2K")).toBe(true);
    expect(stream.writes[1]).toMatch(/1\.1 MB\/2\.0 MB {2}500\.0 kB\/s$/);
    expect(stream.writes[2]).toBe("\n");
  });

  it("throttles redraws but always draws the final event, and starts a new line per file", () => {
    let t = 0;
    const stream = new FakeStream(true);
    const bar = createProgressBar(stream, { now: () => t, minIntervalMs: 100 });
    bar.onProgress(event(1));
    t = 50;
    bar.onProgress(event(2));
    bar.onProgress(event(2_000_000, { done: true }));
    bar.onProgress(event(5, { file: "onnx/next.onnx" }));
    expect(stream.writes.filter((w) => w.startsWith("\r"))).toHaveLength(3);
    expect(stream.writes.at(-2)).toBe("\n");
  });

  it("ends the line of a finished file, so later output starts on a line of its own", () => {
    const stream = new FakeStream(true);
    const bar = createProgressBar(stream, { now: () => 0 });
    bar.onProgress(event(2_000_000, { done: true }));
    bar.finish();
    expect(stream.writes.slice(1)).toEqual(["\n"]);
  });

  it("writes nothing when the stream is not a TTY", () => {
    const stream = new FakeStream(false);
    const bar = createProgressBar(stream);
    bar.onProgress(event(1));
    bar.onProgress(event(2_000_000, { done: true }));
    bar.finish();
    expect(stream.writes).toEqual([]);
  });
});
