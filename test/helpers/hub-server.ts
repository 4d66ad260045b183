/**
 * A local stand-in for the Hugging Face hub, for download tests: serves folders as repos under
 * `/{owner}/{name}/resolve/{revision}/{path}` and `/api/models/{owner}/{name}/revision/{revision}`
 * on 127.0.0.1 (port 0), with the hub's etag headers, Range support and LFS-style redirects, plus
 * hooks that inject failures: cut a body short, stall, corrupt bytes, require a token, 404, 5xx.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, sep } from "node:path";

export interface HubServerOptions {
  /** Repo id ("owner/name") → folder served as that repo, for every revision. */
  readonly repos: Readonly<Record<string, string>>;
  /**
   * Serve files ending in these suffixes like LFS files on the real hub: the resolve URL answers
   * 302 to a `/cdn/…` URL with X-Linked-Etag (sha256) and X-Linked-Size. Default [".onnx", ".onnx_data"].
   */
  readonly lfsSuffixes?: readonly string[];
}

/** One request as the server saw it. */
export interface LoggedRequest {
  readonly method: string;
  /** Repo-relative path for file requests, "api" for listings. */
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
  readonly status: number;
}

/** Failure injection; every field is mutable between requests. */
export interface HubHooks {
  /** Next GET of the path sends this many body bytes, then (100 ms later) destroys the socket. One-shot per entry. */
  readonly cutAfter: Map<string, number>;
  /** Next GET of the path sends this many body bytes, then stops sending (no close). One-shot. */
  readonly stallAfter: Map<string, number>;
  /** GETs of these paths send bytes with one byte flipped (headers still describe the real file). */
  readonly corrupt: Set<string>;
  /** These paths answer 404 EntryNotFound. */
  readonly missing: Set<string>;
  /** The next N requests (any kind) of a path answer this status, e.g. 503. */
  readonly failNext: Map<string, { status: number; count: number }>;
  /** When set, every request needs `Authorization: Bearer <token>` (401 without, 403 with a wrong one). */
  token: string | undefined;
  /** Ignore Range headers and always send 200 with the whole file. */
  ignoreRange: boolean;
}

export interface HubServer {
  /** e.g. "http://127.0.0.1:43125"; pass as hubBaseUrl. */
  readonly url: string;
  readonly hooks: HubHooks;
  readonly requests: LoggedRequest[];
  /** The sha256 the server advertises for a repo file. */
  sha256(repo: string, path: string): string;
  close(): Promise<void>;
}

/** The commit every revision of every repo reports. */
export const FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567";

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(root, full).split(sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

function sizeOf(file: string): number | undefined {
  try {
    const info = statSync(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function parseRange(header: string | undefined, size: number): number | "unsatisfiable" | undefined {
  const m = header === undefined ? null : /^bytes=(\d+)-$/.exec(header);
  if (m === null) return undefined;
  const start = Number(m[1]);
  return start >= size ? "unsatisfiable" : start;
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const lfsSuffixes = options.lfsSuffixes ?? [".onnx", ".onnx_data"];
  const hooks: HubHooks = {
    cutAfter: new Map(),
    stallAfter: new Map(),
    corrupt: new Set(),
    missing: new Set(),
    failNext: new Map(),
    token: undefined,
    ignoreRange: false,
  };
  const requests: LoggedRequest[] = [];
  const hashes = new Map<string, { sha256: string; sha1: string }>();
  const stalled = new Set<ServerResponse>();

  // Keyed by path, size and mtime, so a test can change a served file and see a new etag.
  const hashOf = (file: string): { sha256: string; sha1: string } => {
    const info = statSync(file);
    const key = `${file}:${info.size}:${info.mtimeMs}`;
    let h = hashes.get(key);
    if (h === undefined) {
      const bytes = readFileSync(file);
      h = {
        sha256: createHash("sha256").update(bytes).digest("hex"),
        sha1: createHash("sha1").update(bytes).digest("hex"),
      };
      hashes.set(key, h);
    }
    return h;
  };

  /** 401 without a token, 403 with a wrong one, undefined when allowed. */
  const authFailure = (authorization: string | undefined): number | undefined => {
    if (hooks.token === undefined) return undefined;
    if (authorization === undefined) return 401;
    return authorization === `Bearer ${hooks.token}` ? undefined : 403;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://x");
    const log = (path: string, status: number): void => {
      requests.push({ method, path, range: req.headers.range, authorization: req.headers.authorization, status });
    };
    const fail = (path: string, status: number, errorCode?: string): void => {
      log(path, status);
      res.writeHead(status, errorCode === undefined ? {} : { "x-error-code": errorCode }).end(`error ${status}`);
    };

    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = decodeURIComponent((cdn ?? api ?? resolve)?.[1] ?? "");
    const path =
      cdn !== null ? decodeURIComponent(cdn[2] ?? "") : api !== null ? "api" : decodeURIComponent(resolve?.[3] ?? "");
    const root = options.repos[repo];
    if (root === undefined) {
      fail(path, 404, "RepositoryNotFound");
      return;
    }
    const denied = cdn === null ? authFailure(req.headers.authorization) : undefined;
    if (denied !== undefined) {
      fail(path, denied);
      return;
    }
    const injected = hooks.failNext.get(path);
    if (injected !== undefined && injected.count > 0) {
      injected.count--;
      fail(path, injected.status);
      return;
    }
    if (api !== null) {
      log(path, 200);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ id: repo, sha: FAKE_COMMIT, siblings: listFiles(root).map((rfilename) => ({ rfilename })) }),
      );
      return;
    }
    const file = join(root, ...path.split("/"));
    const size = hooks.missing.has(path) ? undefined : sizeOf(file);
    if (size === undefined) {
      fail(path, 404, "EntryNotFound");
      return;
    }
    const { sha256, sha1 } = hashOf(file);
    const lfs = lfsSuffixes.some((s) => path.endsWith(s));
    if (lfs && cdn === null) {
      // Like the hub: the resolve URL redirects LFS files and carries their sha256 and size.
      log(path, 302);
      res.writeHead(302, {
        location: `/cdn/${repo}/${path}`,
        "x-linked-etag": `"${sha256}"`,
        "x-linked-size": String(size),
        "x-repo-commit": FAKE_COMMIT,
        etag: `"${sha1}"`,
      });
      res.end();
      return;
    }
    const range = hooks.ignoreRange ? undefined : parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      fail(path, 416);
      return;
    }
    const start = range ?? 0;
    const status = range === undefined ? 200 : 206;
    const headers: Record<string, string> = {
      "content-length": String(size - start),
      "accept-ranges": "bytes",
      // The CDN's etag is not the sha256; only the resolve response's X-Linked-Etag is.
      etag: lfs ? `"cdn-${sha1.slice(0, 16)}"` : `"${sha1}"`,
      "x-repo-commit": FAKE_COMMIT,
    };
    if (status === 206) headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
    log(path, status);
    res.writeHead(status, headers);
    if (method === "HEAD") {
      res.end();
      return;
    }

    let body = readFileSync(file).subarray(start);
    if (hooks.corrupt.has(path) && body.length > 0) {
      body = Buffer.from(body);
      body[0] = (body[0] ?? 0) ^ 0xff;
    }
    const cut = hooks.cutAfter.get(path);
    const stall = hooks.stallAfter.get(path);
    if (cut !== undefined) {
      hooks.cutAfter.delete(path);
      // Wait before cutting, so the client has consumed the bytes: a client loses bytes it had
      // received but not yet read when the socket errors, which would make resume tests flaky.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 100));
    } else if (stall !== undefined) {
      hooks.stallAfter.delete(path);
      stalled.add(res);
      res.write(body.subarray(0, stall));
    } else {
      res.end(body);
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hooks,
    requests,
    sha256: (repo, path) => {
      const root = options.repos[repo];
      if (root === undefined) throw new Error(`no repo ${repo}`);
      return hashOf(join(root, ...path.split("/"))).sha256;
    },
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
