/**
 * The "try it" page (`florence2 serve --ui`) in real headless Chromium (Debian's `chromium`, driven
 * by playwright-core; nothing downloads a browser). The page is built by tools/build-ui.mjs as the
 * package build does, served by server/ui-assets.ts and used as a person would: upload
 * test/fixtures/images/coffee.jpg, pick a task, press Run. The page must show exactly the typed
 * result a Node client gets for the same request (the tiny model is deterministic with one beam),
 * draw it (a box edge in the label's colour, read back with getImageData), show the timings, and
 * show a server error as its status code and message, stop a run on Cancel, run a region task on
 * a box dragged with the mouse, show partial texts over RunStream, and take a picture with
 * Chromium's synthetic webcam. A screenshot goes to test-artifacts/ui.png (CI keeps it).
 *
 * The page is same-origin with the service: one HTTP server answers the page's paths with
 * withUiAssets and hands every other request to the service (passed through to its port), as
 * `serve --ui` does on the serving port.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  annotationDisplayList,
  createFlorenceClient,
  type FlorenceClient,
  type TaskResult,
} from "../../client/index.js";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { loadUiAssets, withUiAssets } from "../../server/ui-assets.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = join(ROOT, "test/fixtures/tiny");
const COFFEE = join(ROOT, "test/fixtures/images/coffee.jpg");
const SCREENSHOT = join(ROOT, "test-artifacts/ui.png");
/** Generous: a page action waits for the tiny model on a shared 2-core machine. */
const WAIT_MS = 60_000;

/** Forwards a request to the service's port unchanged (HTTP/1.1: Connect and gRPC-Web). */
function passTo(port: number): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const upstream = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  };
}

/**
 * `value` with every number rounded to float32. Coordinates and confidences travel as proto
 * `float`: Connect's JSON spells 219.9 where the binary formats decode 219.89999389648438, so a
 * page result and a Node result are compared at the precision the wire carries.
 */
function atFloat32(value: unknown): unknown {
  if (typeof value === "number") return Math.fround(value);
  if (Array.isArray(value)) return value.map(atFloat32);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, atFloat32(v)]));
  return value;
}

/** The #rrggbb colour as [r, g, b]. */
function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

describe.skipIf(!existsSync(CHROMIUM))(`the try-it page (Chromium at ${CHROMIUM})`, () => {
  let outDir: string;
  let florence: Florence;
  let service: FlorenceServer;
  let front: http.Server;
  let pageUrl: string;
  let browser: Browser;
  let page: Page;
  /** A Node client of the same service: what the page must show for the same request. */
  let nodeClient: FlorenceClient;
  /** What a Node client gets for the same requests the page makes. */
  const expected: Record<"detection" | "caption", TaskResult | undefined> = {
    detection: undefined,
    caption: undefined,
  };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "florence2-ui-"));
    await promisify(execFile)(process.execPath, [join(ROOT, "tools/build-ui.mjs"), "--out-dir", outDir], {
      cwd: ROOT,
      timeout: 120_000,
    });
    florence = await createFlorence({ model: MODEL });
    service = createFlorenceServer({ engine: florence, port: 0, logger: silentLogger });
    const { url, port } = await service.listen();
    front = http.createServer(withUiAssets(passTo(port), loadUiAssets(outDir)));
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    pageUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}/ui/`;

    nodeClient = createFlorenceClient({ baseUrl: url, protocol: "connect", httpVersion: "1.1" });
    [expected.detection] = await nodeClient.run("object_detection", COFFEE, { maxNewTokens: 16, numBeams: 1 });
    [expected.caption] = await nodeClient.run("caption", COFFEE, { maxNewTokens: 8, numBeams: 1 });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-sync",
        // A synthetic webcam, allowed without a prompt, for the webcam test.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(pageUrl);
    await page.waitForSelector('#status[data-state="idle"]', { timeout: WAIT_MS });
    await page.setInputFiles("#image-file", COFFEE);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: WAIT_MS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    await service?.close({ graceMs: 1000 });
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  /** Fills the form, presses Run and waits until the page is done or shows an error. */
  async function runOnPage(task: string, tokens: number, protocol: "connect" | "grpc-web"): Promise<string> {
    await page.selectOption("#task", task);
    await page.fill("#max-new-tokens", String(tokens));
    await page.fill("#num-beams", "1");
    await page.selectOption("#protocol", protocol);
    // The submit handler sets "running" (or "error" for a bad form) before the click returns.
    await page.click("#run");
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: WAIT_MS });
    return (await page.getAttribute("#status", "data-state")) ?? "";
  }

  async function shownResult(): Promise<unknown> {
    return atFloat32(JSON.parse((await page.textContent("#result-json")) ?? ""));
  }

  it("runs object detection over Connect, shows the typed result and draws its box", async () => {
    const want = expected.detection;
    if (want?.kind !== "detections") throw new Error(`expected a detections result, got ${want?.kind}`);
    // The tiny random model finds one box on coffee.jpg with 16 tokens; the drawing check needs one.
    expect(want.detections.length).toBeGreaterThan(0);
    expect(await runOnPage("object_detection", 16, "connect")).toBe("done");
    expect(await shownResult()).toEqual(atFloat32(want));

    const rect = annotationDisplayList(want).items.find((i) => i.kind === "rect" && i.stroke !== undefined);
    if (rect?.kind !== "rect" || rect.stroke === undefined) throw new Error("the display list has no box");
    const midY = Math.round(rect.y + rect.height / 2);
    const points = {
      leftEdge: [rect.x, midY],
      rightEdge: [rect.x + rect.width, midY],
      bottomEdge: [Math.round(rect.x + rect.width / 2), rect.y + rect.height],
      inside: [Math.round(rect.x + rect.width / 2), midY],
    };
    const pixels = await page.evaluate((at) => {
      const canvas = document.getElementById("result-canvas") as HTMLCanvasElement;
      const ctx = canvas.getContext("2d")!;
      const read = ([x, y]: number[]) => Array.from(ctx.getImageData(x!, y!, 1, 1).data.slice(0, 3));
      return {
        size: [canvas.width, canvas.height],
        ...Object.fromEntries(Object.entries(at).map(([name, xy]) => [name, read(xy)])),
      } as Record<string, number[]>;
    }, points);
    expect(pixels.size).toEqual([want.imageSize.width, want.imageSize.height]);
    const colour = rgb(rect.stroke);
    const near = (got: number[] | undefined) => got?.every((v, i) => Math.abs(v - colour[i]!) <= 3) === true;
    expect(pixels.leftEdge, "left edge").toSatisfy(near);
    expect(pixels.rightEdge, "right edge").toSatisfy(near);
    expect(pixels.bottomEdge, "bottom edge").toSatisfy(near);
    // Boxes are not filled: the photo shows through inside.
    expect(pixels.inside, "inside the box").not.toSatisfy(near);

    const timings = await page.$$eval("#timings dt", (dts) => dts.map((dt) => dt.textContent));
    expect(timings).toEqual(expect.arrayContaining(["Round trip", "Server queue", "Model (engine call)", "Decoder"]));
    expect(await page.textContent("#timings dd")).toMatch(/^\d+\.\d ms$/);
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("runs captioning over gRPC-Web and shows the typed caption", async () => {
    const want = expected.caption;
    if (want?.kind !== "text") throw new Error(`expected a text result, got ${want?.kind}`);
    expect(await runOnPage("caption", 8, "grpc-web")).toBe("done");
    expect(await shownResult()).toEqual(atFloat32(want));
    expect(await page.isHidden("#error")).toBe(true);
    // The caption is drawn in a bar over the image and named in the canvas's accessible label.
    const label = (await page.getAttribute("#result-canvas", "aria-label")) ?? "";
    expect(label).toContain(want.text.split(/\s+/)[0]);
  });

  it("shows a server error as its status code and message", async () => {
    expect(await runOnPage("caption", 1_000_000, "connect")).toBe("error");
    expect(await page.textContent("#error")).toMatch(/^INVALID_ARGUMENT \(3\): .*max_new_tokens/s);
    expect(await page.textContent("#result-json")).toBe("");
  });

  it("names what to fix in the form before calling the server", async () => {
    expect(await runOnPage("phrase_grounding", 8, "connect")).toBe("error");
    expect(await page.textContent("#error")).toContain("needs text: fill in the Text field");
    await page.fill("#task-text", "a cup");
    await page.fill("#max-new-tokens", "0");
    await page.click("#run");
    await page.waitForSelector('#status[data-state="error"]', { timeout: WAIT_MS });
    expect(await page.textContent("#error")).toBe('Max new tokens must be a whole number of at least 1, got "0"');
  });

  it("stops a run when Cancel is pressed and says it was cancelled", async () => {
    await page.fill("#task-text", "");
    await page.selectOption("#task", "more_detailed_caption");
    await page.fill("#max-new-tokens", "1000");
    await page.click("#run");
    expect(await page.getAttribute("#status", "data-state")).toBe("running");
    await page.click("#cancel");
    await page.waitForSelector('#status[data-state="error"]', { timeout: WAIT_MS });
    expect(await page.textContent("#error")).toMatch(/^CANCELED \(1\): /);
    expect(await page.isDisabled("#run")).toBe(false);
  });

  it("runs a region task on a box dragged on the image, outlining the region", async () => {
    await page.selectOption("#task", "region_to_description");
    expect(await page.isDisabled("#task-region")).toBe(false);
    expect(await page.isDisabled("#task-text")).toBe(true);
    // Drag from 20% to 60% of the shown canvas; the page maps it to image pixels.
    const shown = await page.locator("#result-canvas").boundingBox();
    if (shown === null) throw new Error("the canvas is not shown");
    const at = (fx: number, fy: number) => [shown.x + fx * shown.width, shown.y + fy * shown.height] as const;
    await page.mouse.move(...at(0.2, 0.2));
    await page.mouse.down();
    await page.mouse.move(...at(0.4, 0.5), { steps: 4 });
    await page.mouse.move(...at(0.6, 0.6), { steps: 4 });
    await page.mouse.up();
    const size = await page.evaluate(() => {
      const canvas = document.getElementById("result-canvas") as HTMLCanvasElement;
      return { width: canvas.width, height: canvas.height };
    });
    const region = (await page.inputValue("#task-region")).split(", ").map(Number) as [number, number, number, number];
    // Within two pixels of the drag's corners in image pixels (rounding of the shown size).
    const want = [0.2 * size.width, 0.2 * size.height, 0.6 * size.width, 0.6 * size.height];
    for (const [i, v] of region.entries()) expect(Math.abs(v - want[i]!), `region[${i}] = ${v}`).toBeLessThanOrEqual(2);

    expect(await runOnPage("region_to_description", 8, "connect")).toBe("done");
    const [node] = await nodeClient.run("region_to_description", COFFEE, { region, maxNewTokens: 8, numBeams: 1 });
    expect(await shownResult()).toEqual(atFloat32(node));
    // The region is outlined (dashed magenta) over the result: most of its left edge is magenta.
    const magenta = await page.evaluate(([x1, y1, , y2]) => {
      const ctx = (document.getElementById("result-canvas") as HTMLCanvasElement).getContext("2d")!;
      const share = (x: number) => {
        const column = ctx.getImageData(x, y1!, 1, y2! - y1!).data;
        let hits = 0;
        for (let i = 0; i < column.length; i += 4)
          if (column[i]! > 250 && column[i + 1]! < 5 && column[i + 2]! > 250) hits++;
        return hits / (y2! - y1!);
      };
      return Math.max(share(x1! - 1), share(x1!));
    }, region);
    expect(magenta).toBeGreaterThan(0.5);
  });

  it.each(["connect", "grpc-web"] as const)(
    "shows the answer as it is generated (RunStream over %s), then Run's result",
    async (protocol) => {
      const [want] = await nodeClient.run("caption", COFFEE, { maxNewTokens: 32, numBeams: 1 });
      if (want?.kind !== "text") throw new Error(`expected a text result, got ${want?.kind}`);
      await page.check("#stream");
      try {
        expect(await runOnPage("caption", 32, protocol)).toBe("done");
      } finally {
        await page.uncheck("#stream");
      }
      expect(await shownResult()).toEqual(atFloat32(want));
      // At least the first partial is shown (the server sends one per 100 ms at most), and what it
      // showed is the start of the answer.
      expect(Number(await page.getAttribute("#partial", "data-updates"))).toBeGreaterThan(0);
      expect(want.text.startsWith((await page.textContent("#partial")) ?? "-")).toBe(true);
    },
  );

  it("names a missing region before calling the server", async () => {
    await page.selectOption("#task", "region_to_ocr");
    await page.fill("#task-region", "");
    expect(await runOnPage("region_to_ocr", 8, "connect")).toBe("error");
    expect(await page.textContent("#error")).toContain("Region must be four numbers x1, y1, x2, y2");
  });

  it("takes a picture with the (synthetic) webcam and runs on it", async () => {
    await page.click("#camera-start");
    await page.waitForSelector("#camera-capture:not([hidden])", { timeout: WAIT_MS });
    await page.waitForFunction(
      () => (document.getElementById("camera-video") as HTMLVideoElement).videoWidth > 0,
      undefined,
      { timeout: WAIT_MS },
    );
    await page.click("#camera-capture");
    await page.waitForSelector('#status[data-state="ready"]', { timeout: WAIT_MS });
    expect(await page.textContent("#status")).toMatch(/webcam picture, \d+×\d+/);
    expect(await page.isHidden("#camera-video")).toBe(true);
    expect(await runOnPage("caption", 4, "connect")).toBe("done");
    const shown = (await shownResult()) as { kind: string; imageSize: { width: number } };
    expect(shown.kind).toBe("text");
    expect(shown.imageSize.width).toBeGreaterThan(0);
  });
});
