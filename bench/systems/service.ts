/**
 * Our service over gRPC with the TypeScript client: the server runs in its own process
 * (service-server.ts); this process is the callers. Also measures the server's event-loop lag
 * under full load and StreamFrames frames per second with several streams.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createFlorenceClient, type FlorenceClient, type FrameInput } from "../../client/index.js";
import { peakRssMiB, readInput, report, requestsAt, TASK_NAME_OF, throughput, timeMedian } from "../common.js";

const SYSTEM = "ours (service over gRPC)";
const TASK_OF = TASK_NAME_OF;
const input = readInput();
const { plan } = input;
const images = await Promise.all(input.images.map((p) => readFile(p)));
const exactly = (n: number) => ({ maxNewTokens: n, minNewTokens: n, numBeams: 1, timeoutMs: 0 });

/** One server process (service-server.ts) and the line protocol to it. */
function startServerProcess(maxBatchSize?: number) {
  const args = [
    ...process.execArgv,
    new URL("./service-server.ts", import.meta.url).pathname,
    input.model,
    ...(maxBatchSize === undefined ? [] : [String(maxBatchSize)]),
  ];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async expectLine(prefix: string): Promise<string> {
      const { value, done } = await lines.next();
      if (done || typeof value !== "string" || !value.startsWith(prefix))
        throw new Error(`service-server: expected ${prefix}, got ${String(value)}`);
      return value.slice(prefix.length).trim();
    },
    command: (c: string) => child.stdin.write(`${c}\n`),
  };
}

const t0 = performance.now();
const { expectLine, command } = startServerProcess();
const url = await expectLine("READY");
report({ system: SYSTEM, name: "load", value: performance.now() - t0, unit: "ms" });
const client: FlorenceClient = createFlorenceClient({ baseUrl: url, protocol: "grpc" });

for (const [task, tokens] of [
  ["<CAPTION>", plan.captionTokens],
  ["<OD>", plan.odTokens],
] as const) {
  const { ms, runs } = await timeMedian(plan.repeats, () => client.run(TASK_OF[task], images[0]!, exactly(tokens)));
  report({ system: SYSTEM, name: `latency ${task} greedy ${tokens} tokens`, value: ms, unit: "ms", detail: { runs } });
}

const top = Math.max(...plan.concurrency);
for (const callers of plan.concurrency) {
  if (callers === top) {
    command("lag-start");
    await expectLine("OK");
  }
  const r = await throughput(callers, requestsAt(plan, callers), (task, i) =>
    client.run(TASK_OF[task], images[i % images.length]!, exactly(plan.decodeHeavyTokens)),
  );
  report({
    system: SYSTEM,
    name: `throughput ${callers} callers, mixed, ${plan.decodeHeavyTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
  if (callers === top) {
    command("lag-stop");
    const lag = JSON.parse(await expectLine("LAG")) as { p99Ms: number; maxMs: number };
    report({
      system: SYSTEM,
      name: `server event-loop lag p99, ${callers} callers at full load`,
      value: lag.p99Ms,
      unit: "ms",
      detail: lag,
    });
  }
}
{
  const r = await throughput(plan.shortCallers, requestsAt(plan, plan.shortCallers), (_task, i) =>
    client.captionImage(images[i % images.length]!, exactly(plan.shortTokens)),
  );
  report({
    system: SYSTEM,
    name: `throughput ${plan.shortCallers} callers, <CAPTION>, ${plan.shortTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
}

// StreamFrames: several streams at once, QUEUE backpressure, every frame a different image.
{
  const start = performance.now();
  let answered = 0;
  await Promise.all(
    Array.from({ length: plan.streams }, async (_, s) => {
      const frames: FrameInput[] = Array.from({ length: plan.framesPerStream }, (_, f) => ({
        image: images[(s * plan.framesPerStream + f) % images.length]!,
        frameId: f,
      }));
      const config = {
        task: { task: "caption" as const },
        options: exactly(plan.frameTokens),
        backpressure: "queue" as const,
        maxInFlight: plan.framesPerStream,
      };
      for await (const answer of client.streamFrames(frames, config)) {
        if (answer.kind !== "result") throw new Error(`frame ${answer.frameId}: ${answer.kind}`);
        answered++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  report({
    system: SYSTEM,
    name: `StreamFrames ${plan.streams} streams x ${plan.framesPerStream} frames, <CAPTION> ${plan.frameTokens} tokens`,
    value: answered / seconds,
    unit: "frames/s",
    detail: { seconds },
  });
}

command("exit");
report({ system: SYSTEM, name: "peak RSS (server process)", value: Number(await expectLine("RSS")), unit: "MiB" });

// Batching switched off (--max-batch-size 1): the decode-heavy run at the highest concurrency again, on a fresh server.
{
  const off = startServerProcess(1);
  const offClient = createFlorenceClient({ baseUrl: await off.expectLine("READY"), protocol: "grpc" });
  const r = await throughput(top, requestsAt(plan, top), (task, i) =>
    offClient.run(TASK_OF[task], images[i % images.length]!, exactly(plan.decodeHeavyTokens)),
  );
  report({
    system: SYSTEM,
    name: `throughput ${top} callers, mixed, ${plan.decodeHeavyTokens} tokens, batching off`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
  off.command("exit");
  await off.expectLine("RSS");
}
report({ system: SYSTEM, name: "peak RSS (client process)", value: peakRssMiB(), unit: "MiB" });
