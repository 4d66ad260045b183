/**
 * Synthetic video for the frame-skipping tests: two distinct still scenes (a cut is a switch from
 * one to the other), with seeded per-pixel sensor noise so consecutive frames are never
 * byte-identical, and a slow brightness drift.
 */

/** A deterministic PRNG (mulberry32), so a failing test sees the same frames again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SceneName = "desk" | "street";

export interface SceneFrame {
  readonly width: number;
  readonly height: number;
  /** RGB, row by row. */
  readonly data: Uint8Array;
}

export interface SceneOptions {
  readonly width?: number;
  readonly height?: number;
  /** Each channel of each pixel moves by a uniform random amount in [-noise, noise]. Default 8. */
  readonly noise?: number;
  /** Added to every channel before the noise (a lighting change). Default 0. */
  readonly brightness?: number;
  readonly seed?: number;
}

/** The noiseless colour of a scene at (x, y). */
function base(scene: SceneName, x: number, y: number, w: number, h: number): readonly [number, number, number] {
  if (scene === "desk") {
    const inBox = x > w * 0.3 && x < w * 0.6 && y > h * 0.4 && y < h * 0.8;
    return inBox ? [40, 30, 20] : [Math.round((200 * x) / w) + 30, 120, 90];
  }
  const dx = x - w * 0.7;
  const dy = y - h * 0.3;
  const inSun = dx * dx + dy * dy < (h * 0.2) ** 2;
  return inSun ? [250, 240, 200] : [20, 60, Math.round((180 * y) / h) + 60];
}

/** One frame of `scene`. */
export function sceneFrame(scene: SceneName, o: SceneOptions = {}): SceneFrame {
  const width = o.width ?? 160;
  const height = o.height ?? 120;
  const noise = o.noise ?? 8;
  const random = seeded(o.seed ?? 1);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = base(scene, x, y, width, height);
      for (let c = 0; c < 3; c++) {
        const v = rgb[c]! + (o.brightness ?? 0) + Math.round((random() * 2 - 1) * noise);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return { width, height, data };
}
