import { describe, expect, it } from "vitest";
import type { ImageSize, Point, Polygon } from "../results.js";
import { maskToRle, polygonsToMask, polygonsToRle, rleArea, rleToMask } from "./rasterize.js";

const pts = (...xy: number[]): Polygon => {
  const out: Point[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) out.push({ x: xy[i] as number, y: xy[i + 1] as number });
  return out;
};

/** The documented rule, pixel by pixel: centre inside by even-odd with half-open edges, union over polygons. */
function bruteForceMask(polygons: readonly Polygon[], { width, height }: ImageSize): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const xc = x + 0.5;
      const yc = y + 0.5;
      const inside = polygons.some((poly) => {
        if (poly.length < 3) return false;
        let odd = false;
        for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
          const p = poly[i] as Point;
          const q = poly[j] as Point;
          if (p.x <= xc !== q.x <= xc && p.y + ((xc - p.x) * (q.y - p.y)) / (q.x - p.x) <= yc) odd = !odd;
        }
        return odd;
      });
      mask[y * width + x] = inside ? 1 : 0;
    }
  }
  return mask;
}

/** W. R. Franklin's PNPOLY (horizontal ray), the textbook point-in-polygon test. */
function pnpoly(poly: Polygon, xc: number, yc: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const p = poly[i] as Point;
    const q = poly[j] as Point;
    if (p.y > yc !== q.y > yc && xc < ((q.x - p.x) * (yc - p.y)) / (q.y - p.y) + p.x) inside = !inside;
  }
  return inside;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("polygonsToRle", () => {
  it.each<[string, Polygon[], ImageSize, number]>([
    ["rectangle on pixel corners", [pts(10, 10, 20, 10, 20, 30, 10, 30)], { width: 40, height: 40 }, 10 * 20],
    ["rectangle given counter-clockwise", [pts(10, 10, 10, 30, 20, 30, 20, 10)], { width: 40, height: 40 }, 10 * 20],
    // Centres x + 0.5 in [10.6, 19.4) -> x = 11..18; y + 0.5 in [10.6, 29.4) -> y = 11..28.
    [
      "rectangle on fractional edges",
      [pts(10.6, 10.6, 19.4, 10.6, 19.4, 29.4, 10.6, 29.4)],
      { width: 40, height: 40 },
      8 * 18,
    ],
    // Right triangle with legs 10: pixel centres with x + y < 10 (on the hypotenuse: excluded, it is a bottom edge) -> 45.
    ["right triangle", [pts(0, 0, 10, 0, 0, 10)], { width: 20, height: 20 }, 45],
    ["partly outside the image is clipped", [pts(-10, -10, 5, -10, 5, 5, -10, 5)], { width: 8, height: 6 }, 5 * 5],
    ["wholly outside", [pts(50, 50, 60, 50, 60, 60)], { width: 10, height: 10 }, 0],
    ["two points", [pts(1, 1, 8, 8)], { width: 10, height: 10 }, 0],
    ["one point", [pts(3, 3)], { width: 10, height: 10 }, 0],
    ["no vertices", [[]], { width: 10, height: 10 }, 0],
    ["no polygons", [], { width: 10, height: 10 }, 0],
    ["collinear points", [pts(1, 1, 5, 5, 9, 9)], { width: 10, height: 10 }, 0],
    // Two 6x6 squares overlapping in a 3x3 corner: the overlap is counted once.
    [
      "overlapping polygons are united",
      [pts(0, 0, 6, 0, 6, 6, 0, 6), pts(3, 3, 9, 3, 9, 9, 3, 9)],
      { width: 10, height: 10 },
      36 + 36 - 9,
    ],
    [
      "polygons sharing an edge never double-cover",
      [pts(0, 0, 5, 0, 5, 10, 0, 10), pts(5, 0, 10, 0, 10, 10, 5, 10)],
      { width: 10, height: 10 },
      100,
    ],
  ])("%s", (_name, polygons, size, area) => {
    const rle = polygonsToRle(polygons, size);
    expect(rleArea(rle)).toBe(area);
    expect(rleToMask(rle)).toEqual(bruteForceMask(polygons, size));
  });

  it("a self-intersecting polygon has a hole where it overlaps itself (even-odd)", () => {
    // A pentagram: the central pentagon is covered twice, so even-odd leaves it empty.
    const star = pts(50, 5, 79, 95, 3, 39, 97, 39, 21, 95);
    const mask = polygonsToMask([star], { width: 100, height: 100 });
    expect(mask[50 * 100 + 50]).toBe(0);
    expect(mask[20 * 100 + 50]).toBe(1);
  });

  it("encodes column-major, starting with a run of zeros, size [height, width]", () => {
    // 3 wide, 2 high; only pixel (x=1, y=0) set. Column-major order: (0,0) (0,1) (1,0) (1,1) (2,0) (2,1).
    const rle = polygonsToRle([pts(1, 0, 2, 0, 2, 1, 1, 1)], { width: 3, height: 2 });
    expect(rle).toEqual({ size: [2, 3], counts: [2, 1, 3] });
    // A mask whose first pixel is set starts with a zero-length run of zeros; a full mask is one run.
    expect(polygonsToRle([pts(0, 0, 1, 0, 1, 1, 0, 1)], { width: 2, height: 2 }).counts).toEqual([0, 1, 3]);
    expect(polygonsToRle([pts(0, 0, 2, 0, 2, 2, 0, 2)], { width: 2, height: 2 }).counts).toEqual([0, 4]);
    expect(polygonsToRle([], { width: 2, height: 2 }).counts).toEqual([4]);
  });

  it("matches the brute-force rule on random polygons, vertices on pixel centres included", () => {
    const next = random(7);
    for (let trial = 0; trial < 200; trial++) {
      const size = { width: 1 + Math.floor(next() * 30), height: 1 + Math.floor(next() * 30) };
      const snap = trial % 2 === 0; // half the polygons have vertices exactly on pixel centres and edges
      const coord = (extent: number) => {
        const v = next() * (extent + 10) - 5;
        return snap ? Math.floor(v) + (next() < 0.5 ? 0.5 : 0) : v;
      };
      const polygons = Array.from({ length: 1 + Math.floor(next() * 2) }, () =>
        Array.from({ length: 3 + Math.floor(next() * 6) }, () => ({ x: coord(size.width), y: coord(size.height) })),
      );
      expect(rleToMask(polygonsToRle(polygons, size)), `trial ${trial}`).toEqual(bruteForceMask(polygons, size));
    }
  });

  it("agrees with the textbook point-in-polygon test (PNPOLY) away from exact ties", () => {
    const next = random(11);
    for (let trial = 0; trial < 100; trial++) {
      const size = { width: 25, height: 20 };
      const poly = Array.from({ length: 3 + Math.floor(next() * 7) }, () => ({
        x: next() * 30 - 2,
        y: next() * 24 - 2,
      }));
      const mask = polygonsToMask([poly], size);
      for (let y = 0; y < size.height; y++) {
        for (let x = 0; x < size.width; x++) {
          expect(mask[y * size.width + x], `trial ${trial} pixel ${x},${y}`).toBe(
            pnpoly(poly, x + 0.5, y + 0.5) ? 1 : 0,
          );
        }
      }
    }
  });
});

describe("RLE helpers", () => {
  it("maskToRle and rleToMask round-trip", () => {
    const next = random(3);
    for (let trial = 0; trial < 50; trial++) {
      const size = { width: 1 + Math.floor(next() * 12), height: 1 + Math.floor(next() * 12) };
      const mask = Uint8Array.from({ length: size.width * size.height }, () => (next() < 0.4 ? 1 : 0));
      const rle = maskToRle(mask, size);
      expect(rle.size).toEqual([size.height, size.width]);
      expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(size.width * size.height);
      expect(rleToMask(rle)).toEqual(mask);
      expect(rleArea(rle)).toBe(mask.reduce((a, b) => a + b, 0));
    }
  });

  it("polygonsToRle equals maskToRle of its own mask (same run convention)", () => {
    const polygons = [pts(2.3, 1.1, 17.9, 4.2, 11.1, 13.7), pts(0, 10, 4, 10, 4, 14, 0, 14)];
    const size = { width: 20, height: 15 };
    expect(polygonsToRle(polygons, size)).toEqual(maskToRle(bruteForceMask(polygons, size), size));
  });
});
