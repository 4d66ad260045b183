/**
 * What every benchmarked system shares: the plan (tokens, repeats, concurrency), the task mix,
 * how a measurement is timed and reported. Each system runs in its own process and prints one
 * JSON line per measurement on stdout prefixed with RESULT_PREFIX; bench/main.ts collects them.
 */

export const RESULT_PREFIX = "BENCH_RESULT ";

/** The four tasks of the mixed workload, cycled over callers. */
export const MIXED_TASKS = ["<CAPTION>", "<OD>", "<OCR>", "<DENSE_REGION_CAPTION>"] as const;
export type MixedTask = (typeof MIXED_TASKS)[number];

/** The mixed tasks by the task names our engine and client take. */
export const TASK_NAME_OF = {
  "<CAPTION>": "caption",
  "<OD>": "object_detection",
  "<OCR>": "ocr",
  "<DENSE_REGION_CAPTION>": "dense_region_caption",
} as const satisfies Record<MixedTask, string>;

export interface BenchPlan {
  readonly mode: "quick" | "full";
  /** New tokens of the single-request latencies. */
  readonly captionTokens: number;
  readonly odTokens: number;
  /** Timed runs after one warm-up. */
  readonly repeats: number;
  /** Concurrent callers of the throughput runs, and the requests of a run (at least one per caller). */
  readonly concurrency: readonly number[];
  readonly requestsPerLevel: number;
  /** New tokens of each request in the decode-heavy throughput runs. */
  readonly decodeHeavyTokens: number;
  /** Callers of the short-output (<CAPTION>) throughput run, and its new tokens. */
  readonly shortCallers: number;
  readonly shortTokens: number;
  /** StreamFrames: streams and frames per stream, and each frame's new tokens. */
  readonly streams: number;
  readonly framesPerStream: number;
  readonly frameTokens: number;
}

export const PLANS: Readonly<Record<BenchPlan["mode"], BenchPlan>> = {
  quick: {
    mode: "quick",
    captionTokens: 20,
    odTokens: 64,
    repeats: 1,
    concurrency: [1, 8],
    requestsPerLevel: 8,
    decodeHeavyTokens: 64,
    shortCallers: 8,
    shortTokens: 20,
    streams: 4,
    framesPerStream: 2,
    frameTokens: 20,
  },
  full: {
    mode: "full",
    captionTokens: 20,
    odTokens: 64,
    repeats: 2,
    concurrency: [1, 4, 16],
    requestsPerLevel: 8,
    decodeHeavyTokens: 256,
    shortCallers: 16,
    shortTokens: 20,
    streams: 4,
    framesPerStream: 4,
    frameTokens: 20,
  },
};

/** What the orchestrator hands every system (as JSON in argv[2]). */
export interface SystemInput {
  readonly model: string;
  /** Distinct JPEG files; callers and frames take them in order so no image repeats in a run. */
  readonly images: readonly string[];
  readonly plan: BenchPlan;
}

export interface Measurement {
  readonly system: string;
  /** e.g. "latency <OD> greedy 64 tokens". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly detail?: Record<string, unknown>;
}

export function report(m: Measurement): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(m)}\n`);
}

export function readInput(): SystemInput {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("usage: <system> '<json SystemInput>' (bench/main.ts passes it)");
  return JSON.parse(raw) as SystemInput;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Median wall time of `repeats` runs of `fn` after one warm-up run, in ms. */
export async function timeMedian(repeats: number, fn: () => Promise<unknown>): Promise<{ ms: number; runs: number[] }> {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return { ms: median(runs), runs: runs.map((r) => Math.round(r)) };
}

/** Requests of a throughput run with `callers` callers: requestsPerLevel, and at least one each. */
export const requestsAt = (plan: BenchPlan, callers: number): number => Math.max(callers, plan.requestsPerLevel);

/**
 * `callers` concurrent callers share `requests` requests (each caller runs its share one after
 * another); request i uses image i and task MIXED_TASKS[i % 4]. Returns requests per second.
 */
export async function throughput(
  callers: number,
  requests: number,
  call: (task: MixedTask, image: number) => Promise<unknown>,
): Promise<{ requestsPerSecond: number; seconds: number }> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < requests; i = next++) await call(MIXED_TASKS[i % MIXED_TASKS.length]!, i);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { requestsPerSecond: requests / seconds, seconds };
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
