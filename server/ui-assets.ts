/**
 * The "try it" page (`florence2 serve --ui`): the files tools/build-ui.mjs writes into dist/ui,
 * served from memory on the serving port under /ui/, so the page calls the service from its own
 * origin and needs no CORS. Only the files the build's manifest lists are served, by exact name:
 * there is no file system lookup per request, hence no directory listing and no path traversal.
 * GET / redirects to /ui/. Content-addressed files (name-HASH.js) are cached for a year; the HTML
 * is revalidated by its ETag on every load so a new build shows at once.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type http from "node:http";
import type http2 from "node:http2";
import { fileURLToPath, pathToFileURL } from "node:url";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Where the page lives on the serving port. */
export const UI_BASE_PATH = "/ui/";
/** The file the build writes next to the page's files, listing them. */
export const UI_MANIFEST = "ui-manifest.json";

/** Content type by file extension; a built file of any other kind is refused when loading. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** A file name the build may produce: flat, no leading dot, no separators, no "..". */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;
/** esbuild's `[name]-[hash]` output: the content decides the name, so it may be cached for good. */
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z]+$/;

/**
 * The page may call any server (its server field), may show camera frames and uploaded images
 * (blob:), and runs only its own script: no inline code, no third-party origin.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' http: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface UiAsset {
  readonly name: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Strong ETag of the body. */
  readonly etag: string;
  readonly cacheControl: string;
}

/** The built page, in memory. */
export interface UiAssets {
  readonly files: ReadonlyMap<string, UiAsset>;
}

/** The content type of a file name, or undefined for a kind the page never ships. */
export function contentTypeOf(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : CONTENT_TYPES[name.slice(dot).toLowerCase()];
}

/** How long a browser may keep a file: content-addressed ones for good, the rest revalidated. */
export function cacheControlOf(name: string): string {
  return HASHED_NAME.test(name) ? "public, max-age=31536000, immutable" : "no-cache";
}

/** One asset from its name and bytes (the unit the loader and the tests share). */
export function makeUiAsset(name: string, body: Uint8Array): UiAsset {
  if (!SAFE_NAME.test(name))
    throw new Error(`the UI build lists ${JSON.stringify(name)}: only flat names like main-ABC123.js can be served`);
  const contentType = contentTypeOf(name);
  if (contentType === undefined)
    throw new Error(`the UI build lists ${JSON.stringify(name)}, a kind of file the page server does not serve`);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { name, body, contentType, etag, cacheControl: cacheControlOf(name) };
}

/** Builds UiAssets from a name -> bytes table; index.html must be one of them. */
export function makeUiAssets(files: Iterable<readonly [string, Uint8Array]>): UiAssets {
  const map = new Map<string, UiAsset>();
  for (const [name, body] of files) map.set(name, makeUiAsset(name, body));
  if (!map.has("index.html")) throw new Error("the UI build has no index.html; rebuild it with tools/build-ui.mjs");
  return { files: map };
}

/**
 * Reads the built page from `dir` (dist/ui), once, at start. Throws with what to do when it was
 * never built or the manifest names a file that is missing.
 */
export function loadUiAssets(dir: string): UiAssets {
  const manifestUrl = new URL(UI_MANIFEST, dirUrl(dir));
  if (!existsSync(manifestUrl))
    throw new Error(`the browser page is not built (no ${UI_MANIFEST}): run "npm run build" (tools/build-ui.mjs)`);
  const manifest: unknown = JSON.parse(readFileSync(manifestUrl, "utf8"));
  const names = (manifest as { files?: unknown }).files;
  if (!Array.isArray(names) || !names.every((n): n is string => typeof n === "string"))
    throw new Error(`${UI_MANIFEST} has no "files" list of names; rebuild the page with tools/build-ui.mjs`);
  return makeUiAssets(
    names.map((name) => {
      if (!SAFE_NAME.test(name)) return [name, new Uint8Array()] as const; // makeUiAsset says why
      const file = new URL(name, dirUrl(dir));
      if (!existsSync(file)) throw new Error(`the UI build lists ${name} but it is missing; rebuild the page`);
      return [name, new Uint8Array(readFileSync(file))] as const;
    }),
  );
}

function dirUrl(dir: string): URL {
  return pathToFileURL(dir.endsWith("/") ? dir : `${dir}/`);
}

/**
 * The built page of this installation: dist/ui next to dist/server when running the build, or
 * the repository's dist/ui when running from source. Throws when neither holds a build.
 */
export function findBuiltUi(): string {
  const candidates = [new URL("../ui/", import.meta.url), new URL("../dist/ui/", import.meta.url)];
  const found = candidates.find((dir) => existsSync(new URL(UI_MANIFEST, dir)));
  if (found === undefined)
    throw new Error(`--ui: the browser page is not built; run "npm run build" (it runs tools/build-ui.mjs)`);
  return fileURLToPath(found);
}

/** What to do with a request, decided from its method, URL and If-None-Match alone. */
export type UiDecision =
  /** Not a page path: the RPC handler's. */
  | { readonly kind: "pass" }
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "method-not-allowed" }
  | { readonly kind: "not-found" }
  | { readonly kind: "asset"; readonly asset: UiAsset; readonly notModified: boolean };

export interface UiRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly ifNoneMatch?: string | undefined;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}

/** The pure routing of the page's paths; serveUiPath applies it. */
export function lookupUiAsset(req: UiRequest, assets: UiAssets): UiDecision {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? "" : url.slice(q);
  const isRoot = path === "/" || path === "";
  const isUi = path === UI_BASE_PATH.slice(0, -1) || path.startsWith(UI_BASE_PATH);
  // Only GET / is ours at the root: RPCs are POSTs (or Connect GETs) to /package.Service/Method.
  if (isRoot)
    return req.method === "GET" || req.method === "HEAD"
      ? { kind: "redirect", location: UI_BASE_PATH }
      : { kind: "pass" };
  if (!isUi) return { kind: "pass" };
  if (req.method !== "GET" && req.method !== "HEAD") return { kind: "method-not-allowed" };
  if (!path.startsWith(UI_BASE_PATH)) return { kind: "redirect", location: `${UI_BASE_PATH}${query}` };
  const name = path.slice(UI_BASE_PATH.length) || "index.html";
  const asset = assets.files.get(name);
  if (asset === undefined) return { kind: "not-found" };
  return { kind: "asset", asset, notModified: etagMatches(req.ifNoneMatch, asset.etag) };
}

function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** Answers a page path and returns true, or returns false for anything else. */
export function serveUiPath(req: Request, res: Response, assets: UiAssets): boolean {
  const decision = lookupUiAsset(
    { method: req.method, url: req.url, ifNoneMatch: headerOf(req, "if-none-match") },
    assets,
  );
  const text = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };
  switch (decision.kind) {
    case "pass":
      return false;
    case "redirect":
      res.writeHead(302, { location: decision.location, ...text });
      res.end(req.method === "HEAD" ? "" : `the page is at ${decision.location}\n`);
      return true;
    case "method-not-allowed":
      res.writeHead(405, { allow: "GET, HEAD", ...text });
      res.end(`${UI_BASE_PATH} answers GET and HEAD only\n`);
      return true;
    case "not-found":
      res.writeHead(404, { "cache-control": "no-store", ...text });
      res.end(req.method === "HEAD" ? "" : `not found; the page is at ${UI_BASE_PATH}\n`);
      return true;
    case "asset": {
      const { asset, notModified } = decision;
      const headers: Record<string, string> = {
        etag: asset.etag,
        "cache-control": asset.cacheControl,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      };
      if (asset.contentType.startsWith("text/html")) headers["content-security-policy"] = PAGE_CSP;
      if (notModified) {
        res.writeHead(304, headers);
        res.end();
        return true;
      }
      res.writeHead(200, {
        ...headers,
        "content-type": asset.contentType,
        "content-length": String(asset.body.length),
      });
      if (req.method === "HEAD") res.end();
      else res.end(asset.body);
      return true;
    }
  }
}

/**
 * Wraps the RPC handler so the page's paths are answered before it; `assets` undefined = no page.
 * Generic so it wraps an HTTP/1.1-only handler as well as the dual-protocol one.
 */
export function withUiAssets<Req extends Request, Res extends Response>(
  handler: (req: Req, res: Res) => void,
  assets: UiAssets | undefined,
): (req: Req, res: Res) => void {
  if (assets === undefined) return handler;
  return (req, res) => {
    if (!serveUiPath(req, res, assets)) handler(req, res);
  };
}
