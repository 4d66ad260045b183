/**
 * Starts the real server (startServer: FlorenceService, ModelService, health, reflection) for the
 * interop checks, prints `PORT=<n>` on stdout once it listens and the engine is ready, and shuts
 * down gracefully on SIGTERM/SIGINT.
 *
 *   node --import tsx test/interop/serve-fixture.ts [--port 0] [--engine real|fake] [--model test/fixtures/tiny]
 *
 * --engine real (default): the real engine, createFlorence() on the random-weight tiny model
 * (test/fixtures/tiny), offline. --engine fake: test/support/fake-engine.ts (deterministic results,
 * no ONNX), to check the wire protocol alone. The checks in .ci/interop hold for both engines:
 * they test shapes and codes, not the model's words.
 */
import { parseArgs } from "node:util";
import type { FlorenceEngine } from "../../models/engine.js";
import { createFlorence } from "../../models/index.js";
import { startServer } from "../../server/index.js";
import { FakeEngine } from "../support/fake-engine.js";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    engine: { type: "string", default: "real" },
    model: { type: "string", default: "test/fixtures/tiny" },
    // TLS and tokens, for the second server of .ci/interop (see the server's ServerOptions).
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "tls-client-ca": { type: "string" },
    "auth-tokens-file": { type: "string" },
  },
});

let engine: FlorenceEngine;
if (args.engine === "fake") {
  engine = new FakeEngine({ otherEncoded: "reject" });
  console.log("ENGINE=fake (test/support/fake-engine.ts; deterministic results, no model)");
} else if (args.engine === "real") {
  engine = await createFlorence({ model: args.model, offline: true });
  console.log(`ENGINE=real (${args.model})`);
} else {
  throw new Error(`--engine must be "fake" or "real", got ${JSON.stringify(args.engine)}`);
}

const { server, address } = await startServer({
  engine,
  host: args.host,
  port: Number(args.port),
  shutdownGraceMs: 5000,
  ...(args["tls-cert"] === undefined ? {} : { tlsCertFile: args["tls-cert"] }),
  ...(args["tls-key"] === undefined ? {} : { tlsKeyFile: args["tls-key"] }),
  ...(args["tls-client-ca"] === undefined ? {} : { tlsClientCaFile: args["tls-client-ca"] }),
  ...(args["auth-tokens-file"] === undefined ? {} : { authTokensFile: args["auth-tokens-file"] }),
});
await server.ready;
console.log(`PORT=${address.port}`);
await server.closed;
