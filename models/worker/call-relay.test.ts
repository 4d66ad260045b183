/** The caller's timings when a preprocessing thread prepared the images (withHostPreprocessing). */
import { describe, expect, it } from "vitest";
import type { RunTimings } from "../../core/timings.js";
import { withHostPreprocessing } from "./call-relay.js";

const worker: RunTimings = {
  queueMs: 5,
  preprocessMs: 1,
  visionMs: 100,
  encoderMs: 20,
  decoderMs: 60,
  postprocessMs: 4,
};

describe("withHostPreprocessing", () => {
  // wall time seen by the caller, the preparer's time -> queue time reported.
  it.each<[string, number, number, number]>([
    ["nothing waited", 254, 70, 0],
    ["waited for an earlier batch", 1254, 70, 1000],
    ["preparation overlapped the worker's own wait", 200, 70, 0],
  ])("%s", (_name, wallMs, preprocessMs, queueMs) => {
    const t = withHostPreprocessing(worker, wallMs, preprocessMs);
    expect(t).toEqual({ ...worker, preprocessMs, queueMs });
  });
});
