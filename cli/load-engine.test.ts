import { describe, expect, it } from "vitest";
import { FlorenceError } from "../models/index.js";
import { loadWithRetry, modelSources, retryDelayMs, withoutStack } from "./load-engine.js";

describe("retryDelayMs", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [6, 32_000],
    [7, 60_000],
    [40, 60_000],
  ])("after attempt %d: %d ms", (attempt, ms) => {
    expect(retryDelayMs(attempt, { firstDelayMs: 1000, maxDelayMs: 60_000 })).toBe(ms);
  });
});

describe("loadWithRetry", () => {
  const failing = (kinds: FlorenceError["kind"][]) => {
    let n = 0;
    return async () => {
      const kind = kinds[n++];
      if (kind === undefined) return "engine";
      throw new FlorenceError(kind, `failure ${n}`);
    };
  };

  it("fails with the first error when not retrying", async () => {
    await expect(loadWithRetry(failing(["download"]))).rejects.toThrow("failure 1");
  });

  it("retries until it loads, telling each retry", async () => {
    const told: [string, number, number][] = [];
    const engine = await loadWithRetry(failing(["download", "model_load"]), {
      retry: true,
      firstDelayMs: 1,
      onRetry: (e, attempt, delay) => told.push([e.message, attempt, delay]),
    });
    expect([engine, told]).toEqual([
      "engine",
      [
        ["failure 1", 1, 1],
        ["failure 2", 2, 2],
      ],
    ]);
  });

  it("does not retry a model spec that names nothing", async () => {
    await expect(loadWithRetry(failing(["invalid_argument"]), { retry: true, firstDelayMs: 1 })).rejects.toMatchObject({
      kind: "invalid_argument",
    });
  });

  it("stops with cancelled when the signal fires during the wait", async () => {
    const controller = new AbortController();
    const loading = loadWithRetry(failing(["download", "download"]), {
      retry: true,
      firstDelayMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 5);
    await expect(loading).rejects.toMatchObject({
      kind: "cancelled",
      message: expect.stringMatching(/after 1 attempt\(s\): failure 1/),
    });
  });
});

describe("withoutStack", () => {
  it("keeps kind and message, and its stack is only that text", () => {
    const e = withoutStack(new FlorenceError("download", "hub unreachable", { cause: new TypeError("fetch failed") }));
    expect([e.kind, e.message, e.stack, e.cause]).toEqual([
      "download",
      "hub unreachable",
      "download: hub unreachable",
      undefined,
    ]);
  });
});

describe("modelSources", () => {
  it("retries only a model's first load with --retry-load; later loads fail once and report it", async () => {
    let attempts = 0;
    const failed: string[] = [];
    const [source] = modelSources([{ name: "ft", source: "./ft" }], {
      create: async (from) => {
        attempts++;
        expect(from).toBe("./ft");
        throw new FlorenceError("download", `attempt ${attempts} failed`);
      },
      workers: 1,
      retry: { retry: true, firstDelayMs: 1, maxDelayMs: 1, signal: AbortSignal.timeout(50) },
      onLoadFailed: (name, error) => failed.push(`${name}: ${error.message}`),
    });
    expect(source?.name).toBe("ft");
    await expect(source?.load()).rejects.toMatchObject({ kind: "cancelled" });
    const firstLoadAttempts = attempts;
    expect(firstLoadAttempts).toBeGreaterThan(1);
    await expect(source?.load()).rejects.toMatchObject({ kind: "download", message: `attempt ${attempts} failed` });
    expect(attempts).toBe(firstLoadAttempts + 1);
    expect(failed).toHaveLength(2);
    expect(failed[1]).toBe(`ft: attempt ${attempts} failed`);
  });
});
