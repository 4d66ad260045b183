import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { florenceImageConfig } from "./config.js";
import { makeImageLimits } from "./limits.js";
import { prepareImage } from "./prepare.js";

const image = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/images/${name}`, import.meta.url));

describe("prepareImage", () => {
  it("reports the size after EXIF orientation and resizes to the model size", async () => {
    const prepared = await prepareImage({ kind: "path", path: image("rocket_exif6.jpg") }, florenceImageConfig);
    expect(prepared.originalSize).toEqual({ width: 640, height: 427 });
    expect(prepared.resized.length).toBe(768 * 768 * 3);
  });

  it("equals the reference resize for a lossless source", async () => {
    const prepared = await prepareImage({ kind: "path", path: image("tiny_12x9.png") }, florenceImageConfig);
    const reference = new Uint8Array(await sharp(image("resized/tiny_12x9.png")).raw().toBuffer());
    expect(prepared.originalSize).toEqual({ width: 12, height: 9 });
    expect(Buffer.compare(prepared.resized, reference)).toBe(0);
  });

  it("passes the limits to the decoder", async () => {
    await expect(
      prepareImage(
        { kind: "path", path: image("coffee.jpg") },
        florenceImageConfig,
        makeImageLimits({ maxPixels: 1000 }),
      ),
    ).rejects.toThrow(expect.objectContaining({ kind: "invalid_image", message: expect.stringMatching(/600x400/) }));
  });
});
