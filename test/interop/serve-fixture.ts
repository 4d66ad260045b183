/**
 * Starts the real server (startServer: FlorenceService, ModelService, health, reflection) for the
 * interop checks, prints `PORT=<n>` on stdout once it listens, and shuts down gracefully on
 * SIGTERM/SIGINT.
 *
 *   node --import tsx test/interop/serve-fixture.ts [--port 0] [--engine fake|real] [--model test/fixtures/tiny]
 *
 * ENGINE: the default is still the FAKE engine (test/client/fake-engine.ts: deterministic results,
 * no ONNX), because models/ did not export an engine factory when this was written. `--engine real`
 * loads `createFlorence({ model })` from models/index.ts; switch the default to "real" once that
 * factory exists. The checks in .ci/interop hold for both engines (they test shapes, not text).
 */
import { parseArgs } from "node:util";
import type { FlorenceEngine } from "../../models/engine.js";
import { startServer } from "../../server/index.js";
import { FakeEngine } from "../client/fake-engine.js";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    engine: { type: "string", default: "fake" },
    model: { type: "string", default: "test/fixtures/tiny" },
  },
});

function isEngine(value: unknown): value is FlorenceEngine {
  const e = value as Partial<Record<keyof FlorenceEngine, unknown>> | null;
  return typeof e === "object" && e !== null && typeof e.run === "function" && typeof e.runTasks === "function" && typeof e.close === "function";
}

/** The real engine through the factory models/ exports, checked at run time (see the file comment). */
async function loadRealEngine(model: string): Promise<FlorenceEngine> {
  const models: Record<string, unknown> = await import("../../models/index.js");
  const factory = models.createFlorence;
  if (typeof factory !== "function") {
    throw new Error("models/index.ts exports no createFlorence factory yet; run with --engine fake");
  }
  const engine: unknown = await factory({ model });
  if (!isEngine(engine)) throw new Error("createFlorence did not return a FlorenceEngine");
  return engine;
}

let engine: FlorenceEngine;
if (args.engine === "fake") {
  engine = new FakeEngine();
  console.log("ENGINE=fake (test/client/fake-engine.ts; deterministic results, no model)");
} else if (args.engine === "real") {
  engine = await loadRealEngine(args.model);
  console.log(`ENGINE=real (${args.model})`);
} else {
  throw new Error(`--engine must be "fake" or "real", got ${JSON.stringify(args.engine)}`);
}

const { server, address } = await startServer({ engine, host: args.host, port: Number(args.port), shutdownGraceMs: 5000 });
await server.ready;
console.log(`PORT=${address.port}`);
await server.closed;
