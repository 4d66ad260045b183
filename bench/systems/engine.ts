/**
 * Our engine in process (createFlorence: worker thread, batching scheduler). The vision cache is
 * off for every comparison (each request has its own image anyway) and measured on its own.
 */
import { readFile } from "node:fs/promises";
import { createFlorence, type Florence } from "../../models/index.js";
import {
  type MixedTask,
  median,
  peakRssMiB,
  readInput,
  report,
  requestsAt,
  TASK_NAME_OF,
  throughput,
  timeMedian,
} from "../common.js";

const SYSTEM = "ours (engine, in process)";
const TASK_OF = TASK_NAME_OF;

const input = readInput();
const { plan } = input;
const images = await Promise.all(input.images.map((p) => readFile(p)));
const exactly = (n: number, numBeams = 1) => ({ maxNewTokens: n, minNewTokens: n, numBeams });

async function engine(options: { maxBatchSize?: number; visionCacheBytes?: number } = {}): Promise<Florence> {
  return createFlorence({ model: input.model, visionCacheBytes: 0, ...options });
}

const t0 = performance.now();
let florence = await engine();
report({ system: SYSTEM, name: "load", value: performance.now() - t0, unit: "ms" });

for (const [task, tokens] of [
  ["<CAPTION>", plan.captionTokens],
  ["<OD>", plan.odTokens],
] as const) {
  for (const beams of [1, 3]) {
    const { ms, runs } = await timeMedian(plan.repeats, () =>
      florence.run({ task: TASK_OF[task] }, [images[0]!], exactly(tokens, beams)),
    );
    report({
      system: SYSTEM,
      name: `latency ${task} ${beams === 1 ? "greedy" : "beam-3"} ${tokens} tokens`,
      value: ms,
      unit: "ms",
      detail: { runs },
    });
  }
}

// Time to first token: the first onToken callback of a streamed <CAPTION>.
{
  const ttft: number[] = [];
  for (let i = 0; i <= plan.repeats; i++) {
    const start = performance.now();
    let first = 0;
    await florence.captionImage(images[i % images.length]!, {
      ...exactly(plan.captionTokens),
      onToken: () => (first ||= performance.now() - start),
    });
    if (i > 0) ttft.push(first);
  }
  report({
    system: SYSTEM,
    name: "time to first token <CAPTION>",
    value: median(ttft),
    unit: "ms",
    detail: { runs: ttft.map(Math.round) },
  });
}

const callMixed = (f: Florence, tokens: number) => (task: MixedTask, i: number) =>
  f.run({ task: TASK_OF[task] }, [images[i % images.length]!], exactly(tokens));
for (const callers of plan.concurrency) {
  const r = await throughput(callers, requestsAt(plan, callers), callMixed(florence, plan.decodeHeavyTokens));
  report({
    system: SYSTEM,
    name: `throughput ${callers} callers, mixed, ${plan.decodeHeavyTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds, stats: await florence.stats() },
  });
}
{
  const r = await throughput(plan.shortCallers, requestsAt(plan, plan.shortCallers), (_task, i) =>
    florence.run({ task: "caption" }, [images[i % images.length]!], exactly(plan.shortTokens)),
  );
  report({
    system: SYSTEM,
    name: `throughput ${plan.shortCallers} callers, <CAPTION>, ${plan.shortTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
}

// Three tasks on one image: one multi-task call against three separate calls (no cache).
{
  const tasks = [{ task: "caption" }, { task: "object_detection" }, { task: "ocr" }] as const;
  const one = await timeMedian(plan.repeats, () => florence.runTasks(tasks, images[1]!, exactly(plan.captionTokens)));
  const three = await timeMedian(plan.repeats, async () => {
    for (const t of tasks) await florence.run(t, [images[1]!], exactly(plan.captionTokens));
  });
  report({
    system: SYSTEM,
    name: `3 tasks on one image, one call (${plan.captionTokens} tokens each)`,
    value: one.ms,
    unit: "ms",
    detail: { runs: one.runs },
  });
  report({
    system: SYSTEM,
    name: `3 tasks on one image, three calls (${plan.captionTokens} tokens each)`,
    value: three.ms,
    unit: "ms",
    detail: { runs: three.runs },
  });
  await florence.close();
  florence = await engine({ visionCacheBytes: 256 * 1024 * 1024 });
  const cached = await timeMedian(plan.repeats, async () => {
    for (const t of tasks) await florence.run(t, [images[1]!], exactly(plan.captionTokens));
  });
  report({
    system: SYSTEM,
    name: `3 tasks on one image, three calls, vision cache on (${plan.captionTokens} tokens each)`,
    value: cached.ms,
    unit: "ms",
    detail: { runs: cached.runs, stats: await florence.stats() },
  });
  await florence.close();
}

report({ system: SYSTEM, name: "peak RSS", value: peakRssMiB(), unit: "MiB" });
