import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { decodeImage } from "./decode.js";
import { makeImageLimits } from "./limits.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/images/", import.meta.url));
const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));

/** A 3x2 test pattern with distinct colours, so channel order and orientation are checkable. */
const PATTERN = Uint8Array.from([
  255,
  0,
  0,
  0,
  255,
  0,
  0,
  0,
  255, // red, green, blue
  255,
  255,
  0,
  0,
  255,
  255,
  255,
  0,
  255, // yellow, cyan, magenta
]);
const pattern = () => sharp(Buffer.from(PATTERN), { raw: { width: 3, height: 2, channels: 3 } });

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A tiny, well-formed PNG file whose header declares width x height (a decompression bomb). */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.alloc(1024))),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

const tmp = mkdtempSync(join(tmpdir(), "florence-decode-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("decodeImage: formats", () => {
  it.each([
    ["png", () => pattern().png().toBuffer()],
    ["webp (lossless)", () => pattern().webp({ lossless: true }).toBuffer()],
    ["tiff (uncompressed)", () => pattern().tiff({ compression: "none" }).toBuffer()],
    ["gif", () => pattern().gif().toBuffer()],
  ])("%s decodes to the exact RGB pattern", async (_, encode) => {
    const img = await decodeImage(await encode());
    expect(img).toEqual({ width: 3, height: 2, rgb: PATTERN });
  });

  it.each([
    ["jpeg", () => pattern().jpeg({ quality: 100 }).toBuffer()],
    ["avif", () => pattern().avif({ quality: 100 }).toBuffer()],
  ])("%s (lossy) decodes to the right size and roughly the right colours", async (_, encode) => {
    const img = await decodeImage(await encode());
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(img.rgb.length).toBe(18);
    // lossy chroma subsampling of a 3x2 rainbow smears colours; check only the mean brightness
    const mean = img.rgb.reduce((a, b) => a + b, 0) / 18;
    expect(mean).toBeGreaterThan(120);
    expect(mean).toBeLessThan(220);
  });

  it("takes the first frame of an animated GIF", async () => {
    const frames = new Uint8Array(2 * 2 * 2 * 3);
    for (let i = 0; i < 4; i++) frames.set([255, 0, 0], i * 3); // frame 0 red
    for (let i = 4; i < 8; i++) frames.set([0, 0, 255], i * 3); // frame 1 blue
    const gif = await sharp(frames, { raw: { width: 2, height: 4, channels: 3, pageHeight: 2 } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const img = await decodeImage(gif);
    expect(img).toEqual({ width: 2, height: 2, rgb: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]) });
  });

  it("accepts all input forms: bare bytes, {kind: encoded}, {kind: path}", async () => {
    const png = await pattern().png().toBuffer();
    const file = join(tmp, "pattern.png");
    writeFileSync(file, png);
    const expected = { width: 3, height: 2, rgb: PATTERN };
    expect(await decodeImage(new Uint8Array(png))).toEqual(expected);
    expect(await decodeImage({ kind: "encoded", data: png })).toEqual(expected);
    expect(await decodeImage({ kind: "path", path: file })).toEqual(expected);
  });

  it("decodes a Uint8Array view into a larger buffer (byteOffset honoured)", async () => {
    const png = await pattern().png().toBuffer();
    const big = new Uint8Array(png.length + 20);
    big.set(png, 10);
    expect(await decodeImage(big.subarray(10, 10 + png.length))).toEqual({ width: 3, height: 2, rgb: PATTERN });
  });

  it("accepts a 1x1 image", async () => {
    const png = await sharp(Buffer.from([9, 99, 199]), { raw: { width: 1, height: 1, channels: 3 } })
      .png()
      .toBuffer();
    expect(await decodeImage(png)).toEqual({ width: 1, height: 1, rgb: Uint8Array.from([9, 99, 199]) });
  });
});

describe("decodeImage: colour handling", () => {
  it("drops alpha without compositing (RGB under alpha 0 is kept, as PIL convert('RGB'))", async () => {
    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    expect((await decodeImage(png)).rgb).toEqual(Uint8Array.from([10, 20, 30, 40, 50, 60]));
  });

  it("replicates gray (and gray + alpha) to R = G = B", async () => {
    const gray = await sharp(Buffer.from([0, 77, 255]), { raw: { width: 3, height: 1, channels: 1 } })
      .png()
      .toBuffer();
    expect((await decodeImage(gray)).rgb).toEqual(Uint8Array.from([0, 0, 0, 77, 77, 77, 255, 255, 255]));
    const grayAlpha = await sharp(Buffer.from([77, 0, 88, 255]), { raw: { width: 2, height: 1, channels: 2 } })
      .png()
      .toBuffer();
    expect((await decodeImage(grayAlpha)).rgb).toEqual(Uint8Array.from([77, 77, 77, 88, 88, 88]));
  });

  it("reduces 16-bit PNG to 8 bits", async () => {
    const png16 = await sharp({ create: { width: 2, height: 1, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    expect((await decodeImage(png16)).rgb).toEqual(Uint8Array.from([200, 100, 50, 200, 100, 50]));
  });

  it("ignores an embedded ICC profile, as PIL's convert('RGB') does", async () => {
    // sharp converts these sRGB pixels to Display P3 when it embeds the profile; the file stores
    // [184,50,48, 101,217,106, 60,60,241, 128,128,128], which is what Pillow 13 returns for it.
    const px = Buffer.from([200, 30, 40, 10, 220, 90, 60, 60, 250, 128, 128, 128]);
    const png = await sharp(px, { raw: { width: 4, height: 1, channels: 3 } })
      .withIccProfile("p3")
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).hasProfile).toBe(true);
    const pil = [184, 50, 48, 101, 217, 106, 60, 60, 241, 128, 128, 128];
    expect([...(await decodeImage(png)).rgb]).toEqual(pil);
    // sharp's default (colour-managed back to sRGB) would differ
    expect([...(await sharp(png).raw().toBuffer())]).not.toEqual(pil);
  });

  it("applies the EXIF orientation (fixture rocket_exif6.jpg: stored 427x640, Orientation=6 -> 640x427)", async () => {
    const bytes = fixture("rocket_exif6.jpg");
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([427, 640, 6]);
    const img = await decodeImage(bytes);
    expect([img.width, img.height]).toEqual([640, 427]);
  });

  it("rotates pixels, not just the size: Orientation=6 turns the pattern 90 degrees clockwise", async () => {
    // lossless WebP with an EXIF block, so the pixels survive encoding exactly
    const webp = await pattern().webp({ lossless: true }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(webp).metadata()).orientation).toBe(6);
    const img = await decodeImage(webp);
    // 3x2 -> 2x3; rotated clockwise, the first output row is (yellow, red) = bottom-left, top-left
    expect([img.width, img.height]).toEqual([2, 3]);
    expect([...img.rgb.subarray(0, 6)]).toEqual([255, 255, 0, 255, 0, 0]);
  });
});

describe("decodeImage: bad input", () => {
  const invalid = (message: RegExp) =>
    expect.objectContaining({ name: "FlorenceError", kind: "invalid_image", message: expect.stringMatching(message) });

  it("refuses a decompression bomb from its header, saying the size, the limit and how to change it", async () => {
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.length).toBeLessThan(200);
    await expect(decodeImage(bomb)).rejects.toThrow(
      invalid(/50000x50000 = 2500000000 pixels, over the limit of 40000000 pixels.*maxPixels/),
    );
  });

  it("honours a custom pixel limit", async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: "white" } })
      .png()
      .toBuffer();
    await expect(decodeImage(png, makeImageLimits({ maxPixels: 199 }))).rejects.toThrow(invalid(/20x10 = 200 pixels/));
    expect((await decodeImage(png, makeImageLimits({ maxPixels: 200 }))).width).toBe(20);
  });

  it("refuses input over the byte limit, for bytes and for files (before reading the file)", async () => {
    const png = await pattern().png().toBuffer();
    const limits = makeImageLimits({ maxBytes: png.length - 1 });
    await expect(decodeImage(png, limits)).rejects.toThrow(invalid(new RegExp(`${png.length} bytes, over the limit`)));
    const file = join(tmp, "big.png");
    writeFileSync(file, png);
    await expect(decodeImage({ kind: "path", path: file }, limits)).rejects.toThrow(
      invalid(/over the limit.*maxBytes/),
    );
  });

  it.each([
    ["empty bytes", () => new Uint8Array(0), /image is empty \(0 bytes\)/],
    ["random bytes", () => Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), /not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/],
    ["text", () => Buffer.from("hello, this is not an image"), /not a JPEG, PNG/],
    ["zero-width PNG header", () => pngDeclaring(0, 10), /its header is corrupt/],
    [
      "truncated JPEG",
      () => fixture("coffee.jpg").subarray(0, 30_000),
      /\(jpeg, 600x400\) could not be decoded: .*truncated/,
    ],
    ["truncated PNG", () => fixture("chelsea_alpha.png").subarray(0, 100_000), /\(png, 451x300\) could not be decoded/],
    [
      "SVG",
      () =>
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'),
      /svg format; send JPEG, PNG, WebP, GIF, TIFF or AVIF/,
    ],
  ])("%s -> invalid_image with a clear message and the library error as cause", async (_, make, message) => {
    const err = await decodeImage(make()).catch((e: unknown) => e);
    expect(err).toEqual(invalid(message));
    // sharp's raw text is never the message
    expect((err as Error).message).not.toMatch(/vips|libpng|Input buffer/i);
  });

  it("keeps sharp's error as cause of a decode failure", async () => {
    const err = await decodeImage(fixture("coffee.jpg").subarray(0, 30_000)).catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(((err as Error).cause as Error).message).toMatch(/jpeg/i);
  });

  it.each([
    ["a missing file", () => join(tmp, "nope.png"), /cannot read image file .*nope\.png: it does not exist/],
    ["a directory", () => tmp, /is not a regular file/],
  ])("refuses %s as a path", async (_, path, message) => {
    await expect(decodeImage({ kind: "path", path: path() })).rejects.toThrow(invalid(message));
  });

  it("refuses an unknown input kind from an untyped caller", async () => {
    const input = { kind: "url", url: "http://x" } as unknown as Parameters<typeof decodeImage>[0];
    await expect(decodeImage(input)).rejects.toThrow(invalid(/unknown image input kind "url"/));
  });
});
