/**
 * `florence2 call --draw`: the file names for one and several images, and the real CLI, spawned
 * against a server around the fake engine, writing each image with its result drawn on it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { drawTargets } from "../../cli/draw.js";
import { labelColor } from "../../client/annotate/index.js";
import { startTestServer } from "../server/harness.js";
import { decodeRgba, pixelAt } from "./support/image-compare.js";
import { runCli } from "../support/run-cli.js";

const out = mkdtempSync(join(tmpdir(), "florence2-draw-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("drawTargets", () => {
  it.each([
    ["out.png", 1, [["out.png", "png"]]],
    ["a/b.jpg", 1, [["a/b.jpg", "jpeg"]]],
    [
      "frames/x.JPEG",
      2,
      [
        ["frames/x-1.JPEG", "jpeg"],
        ["frames/x-2.JPEG", "jpeg"],
      ],
    ],
    [
      "v1.2/out.webp",
      3,
      [
        ["v1.2/out-1.webp", "webp"],
        ["v1.2/out-2.webp", "webp"],
        ["v1.2/out-3.webp", "webp"],
      ],
    ],
  ] as const)("%s for %i image(s)", (file, count, want) => {
    expect(drawTargets(file, count).map((t) => [t.path, t.format])).toEqual(want);
  });

  it.each(["out", "out.gif", "png"])("refuses %j, naming the extensions it takes", (file) => {
    expect(() => drawTargets(file, 1)).toThrow(/must end in .png, .jpg, .jpeg or .webp/);
  });
});

const cli = (args: readonly string[]) => runCli(args);

describe("florence2 call --draw", () => {
  it("writes each image with its result drawn, numbered in --image order", async () => {
    const { server, url } = await startTestServer();
    try {
      const images = ["camera_gray.png", "chelsea_alpha.png"].map((f) => `test/fixtures/images/${f}`);
      const { code, stdout, stderr } = await cli([
        "call",
        "--url",
        url,
        "--task",
        "<REGION_TO_CATEGORY>",
        "--region",
        "60,40,160,120",
        ...images.flatMap((i) => ["--image", i]),
        "--draw",
        join(out, "drawn.png"),
      ]);
      expect(code, stderr).toBe(0);
      const results = JSON.parse(stdout) as { text: string; imageSize: { width: number; height: number } }[];
      expect(stderr).toContain(`drew ${join(out, "drawn-1.png")}`);
      for (const [i, result] of results.entries()) {
        const path = join(out, `drawn-${i + 1}.png`);
        const drawn = await decodeRgba(path);
        expect([drawn.width, drawn.height]).toEqual([result.imageSize.width, result.imageSize.height]);
        // The region's left edge, in the colour of the answer's text.
        const want = labelColor(result.text);
        expect(pixelAt(drawn, 60, 80).slice(0, 3)).toEqual(
          [1, 3, 5].map((k) => Number.parseInt(want.slice(k, k + 2), 16)),
        );
      }
      expect(existsSync(join(out, "drawn.png"))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("refuses a --draw file that is not an image format before calling anyone", async () => {
    const { code, stderr } = await cli([
      "call",
      "--url",
      "http://127.0.0.1:1",
      "--task",
      "<OD>",
      "--image",
      "x.png",
      "--draw",
      "out.bmp",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("--draw out.bmp: the file must end in .png, .jpg, .jpeg or .webp");
  });

  it("writes a JPEG when the file ends in .jpg", async () => {
    const { server, url } = await startTestServer();
    try {
      const path = join(out, "one.jpg");
      const { code, stderr } = await cli([
        "call",
        "--url",
        url,
        "--task",
        "<OD>",
        "--image",
        "test/fixtures/images/tiny_12x9.png",
        "--draw",
        path,
      ]);
      expect(code, stderr).toBe(0);
      expect(await sharp(path).metadata()).toMatchObject({ format: "jpeg", width: 12, height: 9 });
    } finally {
      await server.close();
    }
  });
});
