/**
 * The benchmark's images: distinct 640x480 JPEGs cut from the fixture photos (a different crop,
 * and every other one mirrored), so no request in a run reuses another's image.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";

const SOURCES = [
  "coffee.jpg",
  "astronaut_tall.webp",
  "chelsea_alpha.png",
  "rocket_exif6.jpg",
  "camera_gray.png",
  "panorama_2160x480.jpg",
];

export async function makeBenchImages(fixtureDir: string, outDir: string, count: number): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const source = sharp(join(fixtureDir, SOURCES[i % SOURCES.length]!)).rotate();
    const { width = 0, height = 0 } = await source.metadata();
    const shrink = 0.6 + (0.4 * ((i * 7) % 5)) / 4; // crop 60%..100% of the shorter side
    const side = Math.max(16, Math.floor(Math.min(width, height) * shrink));
    const left = Math.floor(((width - side) * ((i * 3) % 4)) / 3);
    const top = Math.floor(((height - side) * ((i * 5) % 3)) / 2);
    let image = source.extract({ left, top, width: side, height: side }).resize(640, 480, { fit: "fill" });
    if (i % 2 === 1) image = image.flop();
    const path = join(outDir, `bench-${String(i).padStart(2, "0")}.jpg`);
    await image.jpeg({ quality: 90 }).toFile(path);
    paths.push(path);
  }
  return paths;
}
