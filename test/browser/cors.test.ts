/**
 * Browsers on another origin (server/cors.ts), in real headless Chromium (Debian's `chromium`,
 * driven by playwright-core; nothing downloads a browser): a page served from one origin calls
 * the server on another through the browser client (client/browser.ts, bundled with esbuild as
 * an application would) over gRPC-Web and Connect, and gets a typed result; a page from an origin
 * that is not allowed is refused by the browser.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGE = new URL("../fixtures/images/tiny_12x9.png", import.meta.url);

/** Serves the test page and its bundle on 127.0.0.1 at a free port: one origin. */
async function servePage(bundle: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      return;
    }
    res
      .writeHead(200, { "content-type": "text/html" })
      .end('<!doctype html><title>florence2</title><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// Needs the system Chromium; .ci/run installs Debian's package. Without it this file is skipped
// with this reason rather than downloading a browser.
describe.skipIf(!existsSync(CHROMIUM))(`browsers on another origin (Chromium at ${CHROMIUM})`, () => {
  let florence: Florence;
  let server: FlorenceServer;
  let serverUrl: string;
  let allowedPage: Awaited<ReturnType<typeof servePage>>;
  let otherPage: Awaited<ReturnType<typeof servePage>>;
  let browser: Browser;
  let imageBase64: string;

  beforeAll(async () => {
    const bundled = await build({
      entryPoints: [new URL("./page.ts", import.meta.url).pathname],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
    });
    const bundle = bundled.outputFiles[0]!.text;
    allowedPage = await servePage(bundle);
    otherPage = await servePage(bundle);
    florence = await createFlorence({ model: MODEL });
    server = createFlorenceServer({
      engine: florence,
      port: 0,
      logger: silentLogger,
      corsAllowedOrigins: [allowedPage.origin],
    });
    serverUrl = (await server.listen()).url;
    imageBase64 = (await readFile(IMAGE)).toString("base64");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close({ graceMs: 1000 });
    await allowedPage?.close();
    await otherPage?.close();
  });

  async function captionFrom(origin: string, protocol: "grpc-web" | "connect") {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => typeof window.florenceCaption === "function");
      return (await page.evaluate(([url, p, image]) => window.florenceCaption(url, p, image), [
        serverUrl,
        protocol,
        imageBase64,
      ] as const)) as {
        ok: boolean;
        caption?: { kind: string; task: string; text: string; imageSize: { width: number; height: number } };
        code?: Code;
      };
    } finally {
      await page.close();
    }
  }

  it.each(["grpc-web", "connect"] as const)("an allowed origin gets a typed caption over %s", async (protocol) => {
    const answer = await captionFrom(allowedPage.origin, protocol);
    expect(answer.ok).toBe(true);
    expect(answer.caption?.kind).toBe("text");
    expect(answer.caption?.task).toBe("caption");
    expect(typeof answer.caption?.text).toBe("string");
    expect(answer.caption?.imageSize).toEqual({ width: 12, height: 9 });
  });

  it.each(["grpc-web", "connect"] as const)("another origin is refused by the browser over %s", async (protocol) => {
    const answer = await captionFrom(otherPage.origin, protocol);
    expect(answer.ok).toBe(false);
    // fetch fails without a status: connect reports it as UNKNOWN or UNAVAILABLE, never OK.
    expect([Code.Unknown, Code.Unavailable, Code.Internal]).toContain(answer.code);
  });
});
