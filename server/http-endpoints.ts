/**
 * Plain HTTP endpoints for operators, next to the RPCs on the serving port (HTTP/1.1 and h2) and on
 * the optional metrics port: GET /metrics (Prometheus text), GET /healthz (liveness) and GET
 * /readyz (readiness), each also answering HEAD. They take no credentials, like grpc.health.v1 by
 * default: probes and scrapers rarely carry tokens; keep the metrics port on a private interface
 * where that matters. Every other request goes on to the RPC handler untouched.
 */
import http from "node:http";
import type http2 from "node:http2";
import type { AddressInfo } from "node:net";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (req: Request, res: Response) => void;

/** A probe's answer: 200 when ok, else 503, with `detail` as the body. */
export interface ProbeResult {
  readonly ok: boolean;
  /** One line for a human: "ok", "draining", "model loading". */
  readonly detail: string;
}

/** What the endpoints serve. */
export interface OperatorEndpoints {
  /** The Prometheus text exposition and its content type. */
  readonly metrics: () => Promise<{ readonly contentType: string; readonly text: string }>;
  /** Liveness: the process and its inference workers are alive. */
  readonly liveness: () => ProbeResult;
  /** Readiness: the model has loaded, a worker can run, and the server is not draining. */
  readonly readiness: () => ProbeResult;
}

/** The paths served, for the help text and the README. */
export const OPERATOR_PATHS = ["/metrics", "/healthz", "/readyz"] as const;

/** Answers an operator path and returns true, or returns false for anything else. */
export function serveOperatorPath(req: Request, res: Response, endpoints: OperatorEndpoints): boolean {
  const path = (req.url ?? "").split("?", 1)[0];
  if (!(OPERATOR_PATHS as readonly (string | undefined)[]).includes(path)) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
    res.end(`${path} answers GET and HEAD only\n`);
    return true;
  }
  const head = req.method === "HEAD";
  if (path === "/metrics") {
    endpoints.metrics().then(
      ({ contentType, text }) => {
        res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
        res.end(head ? "" : text);
      },
      (e: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(head ? "" : `metrics failed: ${e instanceof Error ? e.message : String(e)}\n`);
      },
    );
    return true;
  }
  const probe = path === "/healthz" ? endpoints.liveness() : endpoints.readiness();
  res.writeHead(probe.ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(head ? "" : `${probe.detail}\n`);
  return true;
}

/** Wraps the RPC handler so the operator paths are answered before it. */
export function withOperatorEndpoints(handler: Handler, endpoints: OperatorEndpoints): Handler {
  return (req, res) => {
    if (!serveOperatorPath(req, res, endpoints)) handler(req, res);
  };
}

/** The separate plain-HTTP listener of ServerOptions.metricsPort. */
export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port with the operator paths only (404 for the rest). */
export async function listenOperatorEndpoints(
  host: string,
  port: number,
  endpoints: OperatorEndpoints,
): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (serveOperatorPath(req, res, endpoints)) return;
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end(`not found; this port serves ${OPERATOR_PATHS.join(", ")}\n`);
  });
  // Scrapes and probes are short: a silent connection is dropped instead of held.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
