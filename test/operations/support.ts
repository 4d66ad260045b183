/**
 * Test support for the operations tests: a FakeEngine that reports stage timings and engine
 * counters the test sets, GET over HTTP/1.1 and h2, and a reader of the Prometheus text format.
 */
import http2 from "node:http2";
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { TaskResult } from "../../core/results.js";
import type { RunTimings } from "../../core/timings.js";
import type { EngineStats } from "../../models/engine.js";
import type { GenerationOptions } from "../../models/inputs.js";
import { FakeEngine } from "../support/fake-engine.js";

/** The stage timings every call of a ReportingEngine reports. */
export const STAGES: RunTimings = {
  queueMs: 1,
  preprocessMs: 2,
  visionMs: 3,
  encoderMs: 4,
  decoderMs: 5,
  postprocessMs: 6,
};

/** A FakeEngine whose calls report STAGES through onTimings and whose stats() answers `stats`. */
export class ReportingEngine extends FakeEngine {
  stats_: EngineStats = {
    batches: 4,
    batchedItems: 5,
    largestBatch: 3,
    queuedItems: 2,
    decoderSteps: 17,
    decoderRows: 30,
    visionImages: 5,
    visionCache: { hits: 7, misses: 5, evictions: 0, entries: 5, bytes: 0, maxBytes: 0 },
    workerRestarts: 1,
    batchSizes: { 1: 3, 3: 1 },
  };

  override async run(
    request: TaskRequest,
    images: readonly ImageInput[],
    options?: GenerationOptions,
  ): Promise<TaskResult[]> {
    const results = await super.run(request, images, options);
    options?.onTimings?.(STAGES);
    return results;
  }

  override async stats(): Promise<EngineStats> {
    return this.stats_;
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** GET `path` over HTTP/1.1. */
export async function get11(base: string, path: string, method = "GET"): Promise<HttpAnswer> {
  const response = await fetch(new URL(path, base), { method });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: await response.text(),
  };
}

/** GET `path` over cleartext HTTP/2 (prior knowledge, as gRPC clients connect). */
export function getH2(base: string, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(base);
    session.on("error", reject);
    const stream = session.request({ ":method": "GET", ":path": path });
    let status = 0;
    let contentType = "";
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
      contentType = String(headers["content-type"] ?? "");
    });
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, contentType, body });
    });
    stream.on("error", reject);
    stream.end();
  });
}

/**
 * The samples of a Prometheus text exposition: `name{label="v",...}` (labels sorted by name, as
 * written) to value. HELP/TYPE lines are skipped.
 */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
