/**
 * Cross-origin access for browsers (the Connect and gRPC-Web protocols): a page served from another
 * origin may call the server when that origin is allowed (ServerOptions.corsAllowedOrigins). The
 * methods and headers come from connect's `cors` constants, plus `authorization` so browser
 * clients can send bearer tokens. Without allowed origins nothing changes: no CORS headers, and a
 * preflight is refused like any unknown request.
 */
import type http from "node:http";
import type http2 from "node:http2";
import { cors } from "@connectrpc/connect";

/** How long browsers may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 7200;

const ALLOWED_HEADERS = [...cors.allowedHeaders, "authorization"].join(", ");
const ALLOWED_METHODS = cors.allowedMethods.join(", ");
const EXPOSED_HEADERS = cors.exposedHeaders.join(", ");

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (req: Request, res: Response) => void;

/**
 * Why `origin` cannot be an allowed origin, or undefined when it can: "*" or an origin exactly as
 * browsers send it ("https://app.example.com", "http://localhost:5173"): scheme, host and port only.
 */
export function corsOriginProblem(origin: string): string | undefined {
  if (origin === "*") return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${JSON.stringify(origin)} is not an origin; write it as scheme://host[:port], e.g. https://app.example.com`;
  }
  if (url.origin !== origin) {
    return `${JSON.stringify(origin)} is not an origin as browsers send it; use ${JSON.stringify(url.origin)} (scheme://host[:port], no path or trailing slash)`;
  }
  return undefined;
}

/** The Access-Control-Allow-Origin value for a request from `origin`, or undefined when it is not allowed. */
export function allowOriginFor(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (origin === undefined || allowed.length === 0) return undefined;
  if (allowed.includes("*")) return "*";
  return allowed.includes(origin) ? origin : undefined;
}

/** Wraps the request handler with CORS for `allowed` origins; returns it unchanged when there are none. */
export function withCors(handler: Handler, allowed: readonly string[]): Handler {
  if (allowed.length === 0) return handler;
  return (req, res) => {
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const allowOrigin = allowOriginFor(origin, allowed);
    const isPreflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (isPreflight) {
      if (allowOrigin === undefined) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8", vary: "Origin" });
        res.end("this origin may not call the server; ask its operator to add it with --cors-allow-origin\n");
        return;
      }
      res.writeHead(204, {
        "access-control-allow-origin": allowOrigin,
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
        vary: "Origin",
      });
      res.end();
      return;
    }
    if (allowOrigin !== undefined) {
      res.setHeader("access-control-allow-origin", allowOrigin);
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
      res.setHeader("vary", "Origin");
    }
    handler(req, res);
  };
}
