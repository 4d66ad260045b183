/**
 * The service's server process for the benchmark: our gRPC server on a free port with the engine
 * (vision cache off, as in every comparison). Usage: service-server.ts <model folder> [max batch
 * size] (default: the engine's; 1 switches cross-request batching off). Commands on stdin, one per line: "lag-start" starts
 * an event-loop delay histogram, "lag-stop" prints its p99/max; "exit" closes the server and
 * prints the peak RSS. Answers go to stdout as single lines.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { createFlorence } from "../../models/index.js";
import { silentLogger, startServer } from "../../server/index.js";
import { peakRssMiB } from "../common.js";

const model = process.argv[2];
if (model === undefined) throw new Error("usage: service-server.ts <model folder> [max batch size]");
const maxBatchSize = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const { server, address } = await startServer({
  engine: createFlorence({ model, visionCacheBytes: 0, ...(maxBatchSize === undefined ? {} : { maxBatchSize }) }),
  port: 0,
  logger: silentLogger,
  handleSignals: false,
});
await server.ready;
process.stdout.write(`READY ${address.url}\n`);

let histogram = monitorEventLoopDelay({ resolution: 10 });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "lag-start") {
    histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    process.stdout.write("OK\n");
  } else if (line === "lag-stop") {
    histogram.disable();
    process.stdout.write(
      `LAG ${JSON.stringify({ p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 })}\n`,
    );
  } else if (line === "exit") {
    await server.close({ graceMs: 1000 });
    process.stdout.write(`RSS ${peakRssMiB()}\n`);
    process.exit(0); // the server closed the engine; nothing else should keep this process up
  }
}
