/** `florence2 run --draw` on the tiny random-weight model: the upright image, drawn, in the format asked. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { decodeRgba, compareImages } from "./support/image-compare.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "florence2-run-draw-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("florence2 run --draw", () => {
  it("writes the EXIF-upright image with the result drawn on it", async () => {
    const path = join(out, "rocket.webp");
    const args = ["run", "--model", "test/fixtures/tiny", "--offline", "--task", "<CAPTION>", "--num-beams", "1"];
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "cli/main.ts",
        ...args,
        "--max-new-tokens",
        "8",
        "--image",
        "test/fixtures/images/rocket_exif6.jpg",
        "--draw",
        path,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`drew ${path}`);
    expect(await sharp(path).metadata()).toMatchObject({ format: "webp", width: 640, height: 427 });
    // The caption bar changed the image (compared with the upright original, lossy encodings aside).
    const upright = await decodeRgba(await sharp("test/fixtures/images/rocket_exif6.jpg").rotate().png().toBuffer());
    const drawn = await decodeRgba(await sharp(path).png().toBuffer());
    expect(compareImages(drawn, upright, { tolerance: 24 }).mismatched).toBeGreaterThan(1000);
  });
});
