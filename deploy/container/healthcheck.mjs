#!/usr/bin/env node
// The container's health check, dependency-free so it runs on Node alone.
//
//   node healthcheck.mjs            gRPC health: grpc.health.v1.Health/Check (service "") over
//                                   HTTP/2; exit 0 when the server answers SERVING (model loaded,
//                                   not draining), else 1.
//   node healthcheck.mjs /healthz   an HTTP GET of that path; exit 0 on a 2xx answer.
//
// It calls the serving port on loopback: FLORENCE2_PORT (default 50051), over TLS when
// FLORENCE2_TLS_CERT is set (the certificate names the public host, not loopback, so it is not
// verified: this checks the process, not the certificate). FLORENCE2_HEALTHCHECK_TOKEN, when set,
// is sent as a bearer token (for a server started with --auth-health). A server that requires
// client certificates (--tls-client-ca) cannot be checked this way; use the orchestrator's probe.
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";

const TIMEOUT_MS = 4000;
const port = Number(process.env.FLORENCE2_PORT || 50051);
const tls = Boolean(process.env.FLORENCE2_TLS_CERT);
const token = process.env.FLORENCE2_HEALTHCHECK_TOKEN || "";
const authorization = token ? { authorization: `Bearer ${token}` } : {};
const path = process.argv[2];

function done(ok, why) {
  if (!ok) process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(ok ? 0 : 1);
}
setTimeout(() => done(false, `no answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

if (path !== undefined) {
  const get = tls ? https.get : http.get;
  const req = get({ host: "127.0.0.1", port, path, headers: authorization, rejectUnauthorized: false }, (res) => {
    res.resume();
    const code = res.statusCode ?? 0;
    done(code >= 200 && code < 300, `GET ${path}: HTTP ${code}`);
  });
  req.on("error", (e) => done(false, e.message));
} else {
  const session = http2.connect(`${tls ? "https" : "http"}://127.0.0.1:${port}`, { rejectUnauthorized: false });
  session.on("error", (e) => done(false, e.message));
  const stream = session.request({
    ":method": "POST",
    ":path": "/grpc.health.v1.Health/Check",
    "content-type": "application/grpc",
    te: "trailers",
    ...authorization,
  });
  const chunks = [];
  let grpcStatus;
  stream.on("data", (c) => chunks.push(c));
  stream.on("trailers", (t) => {
    grpcStatus = t["grpc-status"];
  });
  stream.on("response", (h) => {
    if (h["grpc-status"] !== undefined) grpcStatus = h["grpc-status"];
  });
  stream.on("error", (e) => done(false, e.message));
  stream.on("end", () => {
    session.close();
    const body = Buffer.concat(chunks);
    // One gRPC frame: flag byte, 4-byte length, then HealthCheckResponse; its only field is
    // `status` (field 1, varint): 08 01 is SERVING. An empty message is UNKNOWN.
    const message = body.subarray(5);
    const serving = grpcStatus === "0" && message.length >= 2 && message[0] === 0x08 && message[1] === 0x01;
    done(
      serving,
      grpcStatus === "0" ? `status field ${message.toString("hex") || "(unset)"}` : `grpc-status ${grpcStatus}`,
    );
  });
  // The request: one uncompressed frame holding an empty HealthCheckRequest (service "").
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
}
