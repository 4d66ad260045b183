/**
 * Time to the first partial text against time to the full result of RunStream, through a real
 * server (gRPC, loopback) on the tiny random-weight fixture. Prints medians as JSON for
 * BENCHMARKS.md; asserts nothing.
 *
 *   node --import tsx test/run-stream/measure.ts [tokens] [repeats]
 */
import { readFile } from "node:fs/promises";
import { createFlorenceClient } from "../../client/index.js";
import { createFlorence } from "../../models/index.js";
import { createFlorenceServer, silentLogger } from "../../server/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const COFFEE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
const tokens = Number(process.argv[2] ?? 256);
const repeats = Number(process.argv[3] ?? 7);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
};

const florence = await createFlorence({ model: MODEL });
const server = createFlorenceServer({ engine: florence, port: 0, logger: silentLogger });
const { url } = await server.listen();
const client = createFlorenceClient({ baseUrl: url, protocol: "grpc" });
const coffee = await readFile(COFFEE);
const options = { maxNewTokens: tokens, minNewTokens: tokens, numBeams: 1 } as const;

const rows: Record<string, unknown>[] = [];
for (const partialIntervalMs of [0, 100]) {
  const first: number[] = [];
  const full: number[] = [];
  const unary: number[] = [];
  let partials = 0;
  for (let i = 0; i <= repeats; i++) {
    const start = performance.now();
    let firstAt: number | undefined;
    let count = 0;
    for await (const event of client.runStream("caption", coffee, { ...options, partialIntervalMs })) {
      if (event.kind === "partial") {
        firstAt ??= performance.now() - start;
        count++;
      }
    }
    const fullAt = performance.now() - start;
    const unaryStart = performance.now();
    await client.run("caption", coffee, options);
    const unaryAt = performance.now() - unaryStart;
    if (i === 0) continue; // warm-up
    first.push(firstAt ?? Number.NaN);
    full.push(fullAt);
    unary.push(unaryAt);
    partials += count;
  }
  rows.push({
    tokens,
    partialIntervalMs,
    firstPartialMs: median(first),
    fullResultMs: median(full),
    runMs: median(unary),
    partialsPerCall: Math.round((partials / repeats) * 10) / 10,
  });
}
console.log(JSON.stringify(rows, null, 2));
await server.close({ graceMs: 1000 });
await florence.close();
