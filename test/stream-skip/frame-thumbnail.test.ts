/** imageThumbnail: raw and encoded frames of one scene reduce alike; what cannot be decoded yields none. */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ImageInput } from "../../core/inputs.js";
import { THUMBNAIL_SIZE, thumbnailDifference } from "../../server/frame-change.js";
import { imageThumbnail } from "../../server/frame-thumbnail.js";
import { type SceneFrame, sceneFrame } from "./scenes.js";

const rawOf = (f: SceneFrame): ImageInput => ({
  kind: "raw",
  width: f.width,
  height: f.height,
  format: "rgb",
  data: f.data,
});

async function encoded(f: SceneFrame, as: "png" | "jpeg"): Promise<Uint8Array> {
  const image = sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } });
  return new Uint8Array(await (as === "png" ? image.png() : image.jpeg({ quality: 90 })).toBuffer());
}

describe("imageThumbnail", () => {
  it.each(["png", "jpeg"] as const)("gives a %s frame nearly the thumbnail of its raw pixels", async (as) => {
    const f = sceneFrame("desk", { noise: 0 });
    const fromRaw = await imageThumbnail(rawOf(f));
    const fromBytes = await imageThumbnail(await encoded(f, as));
    const fromTagged = await imageThumbnail({ kind: "encoded", data: await encoded(f, as) });
    expect(fromRaw?.size).toBe(THUMBNAIL_SIZE);
    expect(fromBytes).toMatchObject({ size: THUMBNAIL_SIZE, sourceWidth: 160, sourceHeight: 120 });
    expect(fromTagged?.cells).toEqual(fromBytes?.cells);
    // Different resampling (box filter vs libvips' shrink), same scene: far below any useful threshold.
    expect(thumbnailDifference(fromRaw!, fromBytes!)).toBeLessThan(0.01);
    const street = await imageThumbnail(await encoded(sceneFrame("street", { noise: 0 }), as));
    expect(thumbnailDifference(fromBytes!, street!)).toBeGreaterThan(0.1);
  });

  it.each([
    ["bytes that are no image", new TextEncoder().encode("not an image at all")],
    ["empty bytes", new Uint8Array(0)],
  ])("yields no thumbnail for %s (the engine reports the error)", async (_name, data) => {
    expect(await imageThumbnail(data)).toBeUndefined();
  });

  it("yields no thumbnail for a file path (never sent over the wire)", async () => {
    expect(await imageThumbnail({ kind: "path", path: "frame.png" })).toBeUndefined();
  });
});
