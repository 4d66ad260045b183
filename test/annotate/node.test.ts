/** Node's annotate: loading sharp, decoding and orienting the image, encodings, and its errors. */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { annotate, loadSharp } from "../../client/annotate/node.js";
import { decodeRgba, pixelAt } from "./support/image-compare.js";
import { DETECTIONS } from "./support/results.js";

const image = (name: string) => fileURLToPath(new URL(`../fixtures/images/${name}`, import.meta.url));

describe("annotate (Node)", () => {
  it("says how to install sharp when it cannot be loaded", async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package 'sharp' imported from x"), { code: "ERR_MODULE_NOT_FOUND" });
    };
    await expect(loadSharp(missing)).rejects.toThrow(/optional package sharp.*npm install sharp.*Cannot find package/);
    await expect(annotate(image("coffee.jpg"), DETECTIONS, {}, missing)).rejects.toThrow(/npm install sharp/);
    await expect(loadSharp(async () => ({}))).rejects.toThrow(/no default export/);
  });

  it("reads a path or bytes and returns PNG by default, JPEG or WebP when asked", async () => {
    const bytes = await readFile(image("coffee.jpg"));
    const png = await annotate(bytes, DETECTIONS);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(await sharp(png).metadata()).toMatchObject({ width: 600, height: 400, format: "png" });
    const jpeg = await annotate(image("coffee.jpg"), DETECTIONS, { format: "jpeg", quality: 80 });
    expect((await sharp(jpeg).metadata()).format).toBe("jpeg");
    const webp = await annotate(new Uint8Array(bytes), DETECTIONS, { format: "webp" });
    expect((await sharp(webp).metadata()).format).toBe("webp");
  });

  it("turns the image upright by its EXIF orientation, as result coordinates are", async () => {
    // rocket_exif6.jpg is stored 427x640 with orientation 6: upright it is 640x427.
    const drawn = await annotate(image("rocket_exif6.jpg"), { ...DETECTIONS, imageSize: { width: 640, height: 427 } });
    expect(await sharp(drawn).metadata()).toMatchObject({ width: 640, height: 427 });
  });

  it("draws in colour on a grayscale image", async () => {
    const drawn = await decodeRgba(
      await annotate(image("camera_gray.png"), { ...DETECTIONS, imageSize: { width: 512, height: 512 } }),
    );
    const [r, g, b] = pixelAt(drawn, 60, 80); // the cup box's left edge
    expect(new Set([r, g, b]).size).toBeGreaterThan(1);
  });

  it.each([
    [{ format: "gif" as "png" }, /format "gif" must be "png", "jpeg" or "webp"/],
    [{ format: "jpeg" as const, quality: 0 }, /quality 0 must be a whole number 1..100/],
    [{ maskOpacity: 2 }, /maskOpacity 2/],
  ])("rejects options %o saying what to fix", async (options, message) => {
    await expect(annotate(image("coffee.jpg"), DETECTIONS, options)).rejects.toThrow(message);
  });

  it("names the image it cannot decode", async () => {
    await expect(annotate(new Uint8Array([1, 2, 3]), DETECTIONS)).rejects.toThrow(/cannot decode the image bytes/);
    await expect(annotate("/nonexistent/photo.jpg", DETECTIONS)).rejects.toThrow(
      /cannot decode image \/nonexistent\/photo.jpg/,
    );
  });
});
