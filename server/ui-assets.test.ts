import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cacheControlOf,
  contentTypeOf,
  findBuiltUi,
  loadUiAssets,
  lookupUiAsset,
  makeUiAssets,
  UI_MANIFEST,
  type UiDecision,
  withUiAssets,
} from "./ui-assets.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const ASSETS = makeUiAssets([
  ["index.html", bytes("<!doctype html><title>page</title>")],
  ["main-ABCD2345.js", bytes("console.log(1)")],
  ["style-QWER7890.css", bytes("body{}")],
  ["main-ABCD2345.js.map", bytes("{}")],
]);
const INDEX_ETAG = ASSETS.files.get("index.html")!.etag;

/** A decision reduced to what the table states: its kind and the asset name or redirect target. */
function summary(d: UiDecision): string {
  switch (d.kind) {
    case "asset":
      return `asset ${d.asset.name}${d.notModified ? " 304" : ""}`;
    case "redirect":
      return `redirect ${d.location}`;
    default:
      return d.kind;
  }
}

describe("lookupUiAsset", () => {
  it.each([
    ["GET", "/", undefined, "redirect /ui/"],
    ["HEAD", "/", undefined, "redirect /ui/"],
    ["POST", "/", undefined, "pass"],
    ["GET", "/ui", undefined, "redirect /ui/"],
    ["GET", "/ui?x=1", undefined, "redirect /ui/?x=1"],
    ["GET", "/ui/", undefined, "asset index.html"],
    ["GET", "/ui/?cache=bust", undefined, "asset index.html"],
    ["GET", "/ui/index.html", undefined, "asset index.html"],
    ["HEAD", "/ui/main-ABCD2345.js", undefined, "asset main-ABCD2345.js"],
    ["GET", "/ui/style-QWER7890.css", undefined, "asset style-QWER7890.css"],
    ["GET", "/ui/", INDEX_ETAG, "asset index.html 304"],
    ["GET", "/ui/", `"other", ${INDEX_ETAG}`, "asset index.html 304"],
    ["GET", "/ui/", `W/${INDEX_ETAG}`, "asset index.html 304"],
    ["GET", "/ui/", '"stale"', "asset index.html"],
    ["POST", "/ui/", undefined, "method-not-allowed"],
    ["DELETE", "/ui/index.html", undefined, "method-not-allowed"],
    // Nothing outside the manifest is reachable, however the path is spelled.
    ["GET", "/ui/missing.js", undefined, "not-found"],
    ["GET", "/ui/../package.json", undefined, "not-found"],
    ["GET", "/ui/%2e%2e/package.json", undefined, "not-found"],
    ["GET", "/ui/..%2fpackage.json", undefined, "not-found"],
    ["GET", "/ui//etc/passwd", undefined, "not-found"],
    ["GET", "/ui/./index.html", undefined, "not-found"],
    ["GET", "/ui/%69ndex.html", undefined, "not-found"],
    ["GET", "/ui/ui-manifest.json", undefined, "not-found"],
    ["GET", "/ui/sub/", undefined, "not-found"],
    // Everything else belongs to the RPC handler.
    ["POST", "/florence.v1.FlorenceService/Run", undefined, "pass"],
    ["GET", "/florence.v1.FlorenceService/Run?message=x", undefined, "pass"],
    ["GET", "/uix", undefined, "pass"],
    ["GET", "/metrics", undefined, "pass"],
  ] as const)("%s %s (If-None-Match %s) -> %s", (method, url, ifNoneMatch, want) => {
    expect(summary(lookupUiAsset({ method, url, ifNoneMatch }, ASSETS))).toBe(want);
  });
});

describe("content types and caching", () => {
  it.each([
    ["index.html", "text/html; charset=utf-8"],
    ["main-ABCD2345.js", "text/javascript; charset=utf-8"],
    ["style.CSS", "text/css; charset=utf-8"],
    ["main.js.map", "application/json; charset=utf-8"],
    ["icon.svg", "image/svg+xml"],
    ["archive.tar", undefined],
    ["README", undefined],
  ])("%s is %s", (name, want) => {
    expect(contentTypeOf(name)).toBe(want);
  });

  it.each([
    ["main-ABCD2345.js", "public, max-age=31536000, immutable"],
    ["style-QWER7890.css", "public, max-age=31536000, immutable"],
    ["index.html", "no-cache"],
    ["main.js", "no-cache"],
  ])("%s is cached with %s", (name, want) => {
    expect(cacheControlOf(name)).toBe(want);
  });

  it.each([
    [[["../secret.html", bytes("x")]], /only flat names/],
    [[[".env.html", bytes("x")]], /only flat names/],
    [
      [
        ["index.html", bytes("x")],
        ["tool.exe", bytes("x")],
      ],
      /does not serve/,
    ],
    [[["main.js", bytes("x")]], /no index\.html/],
  ] as const)("refuses a bad build %#", (files, message) => {
    expect(() => makeUiAssets(files)).toThrow(message);
  });
});

describe("loadUiAssets", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ui-assets-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("says to build the page when there is no manifest", () => {
    expect(() => loadUiAssets(dir)).toThrow(/not built.*npm run build/);
  });

  it("reads the files the manifest lists, and only those", () => {
    writeFileSync(join(dir, "index.html"), "<p>hi</p>");
    writeFileSync(join(dir, "other.html"), "<p>not listed</p>");
    writeFileSync(join(dir, UI_MANIFEST), JSON.stringify({ files: ["index.html"] }));
    const assets = loadUiAssets(dir);
    expect([...assets.files.keys()]).toEqual(["index.html"]);
    expect(new TextDecoder().decode(assets.files.get("index.html")!.body)).toBe("<p>hi</p>");
  });

  it("names a listed file that is missing", () => {
    writeFileSync(join(dir, UI_MANIFEST), JSON.stringify({ files: ["index.html", "main-AAAA1111.js"] }));
    expect(() => loadUiAssets(dir)).toThrow(/lists main-AAAA1111\.js but it is missing/);
  });
});

describe("findBuiltUi", () => {
  it("finds this checkout's built page (dist/ui) or says how to build it", () => {
    let found: string | undefined;
    try {
      found = findBuiltUi();
    } catch (e) {
      expect(String(e)).toMatch(/--ui: the browser page is not built; run "npm run build"/);
      return;
    }
    expect(found).toMatch(/dist\/ui\/$/);
    expect(loadUiAssets(found).files.has("index.html")).toBe(true);
  });
});

describe("withUiAssets over HTTP", () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const rpc = withUiAssets((_req, res) => {
      res.writeHead(418).end("rpc");
    }, ASSETS);
    server = http.createServer((req, res) => rpc(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serves the page with its type, cache policy, ETag and CSP", async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("etag")).toBe(INDEX_ETAG);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe("<!doctype html><title>page</title>");
  });

  it("answers a revalidation with 304 and no body", async () => {
    const res = await fetch(`${base}/ui/`, { headers: { "if-none-match": INDEX_ETAG } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
  });

  it("redirects / to the page and leaves other paths to the RPC handler", async () => {
    const root = await fetch(`${base}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/ui/");
    expect((await fetch(`${base}/florence.v1.FlorenceService/Run`, { method: "POST" })).status).toBe(418);
  });

  it("answers 404 for a traversal attempt and 405 for a write", async () => {
    expect((await fetch(`${base}/ui/..%2f..%2fpackage.json`)).status).toBe(404);
    const put = await fetch(`${base}/ui/index.html`, { method: "PUT", body: "x" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD");
  });

  it("passes everything on when no page is configured", () => {
    const rpc = () => {};
    expect(withUiAssets(rpc, undefined)).toBe(rpc);
  });
});

describe("withUiAssets over HTTP/2 (the serving port speaks both)", () => {
  it("serves the page through the compatibility API", async () => {
    const server = http2.createServer(
      withUiAssets((_req, res) => {
        res.writeHead(418).end();
      }, ASSETS),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const { status, type, body } = await new Promise<{ status: unknown; type: unknown; body: string }>(
        (resolve, reject) => {
          const stream = session.request({ ":path": "/ui/main-ABCD2345.js" });
          let headers: http2.IncomingHttpHeaders = {};
          let body = "";
          stream.on("response", (h) => {
            headers = h;
          });
          stream.setEncoding("utf8");
          stream.on("data", (chunk: string) => {
            body += chunk;
          });
          stream.on("end", () => resolve({ status: headers[":status"], type: headers["content-type"], body }));
          stream.on("error", reject);
        },
      );
      expect(status).toBe(200);
      expect(type).toBe("text/javascript; charset=utf-8");
      expect(body).toBe("console.log(1)");
    } finally {
      session.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
