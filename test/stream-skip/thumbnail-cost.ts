/**
 * What a frame's thumbnail costs the main thread (the numbers of the "Stream video" section):
 *   node --import tsx test/stream-skip/thumbnail-cost.ts
 * Raw RGB is reduced on the main thread, so its wall time is its main-thread time. Encoded frames
 * are decoded by sharp on libuv's pool: their latency is reported next to the event loop's busy
 * time (event loop utilization), the part that holds up other calls.
 */
import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { frameThumbnail } from "../../server/frame-change.js";
import { imageThumbnail } from "../../server/frame-thumbnail.js";
import { sceneFrame } from "./scenes.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const frame = sceneFrame("desk", { width: 640, height: 480 });
  const raw = { data: frame.data, width: 640, height: 480, format: "rgb" as const };
  const rawTimes: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    frameThumbnail(raw);
    rawTimes.push(performance.now() - t);
  }
  console.log(`raw RGB 640x480: median ${median(rawTimes.slice(50)).toFixed(2)} ms on the main thread`);

  const input = sharp(frame.data, { raw: { width: 640, height: 480, channels: 3 } });
  for (const [name, bytes] of [
    ["JPEG", await input.clone().jpeg({ quality: 85 }).toBuffer()],
    ["PNG", await input.clone().png().toBuffer()],
  ] as const) {
    const image = { kind: "encoded" as const, data: new Uint8Array(bytes) };
    for (let i = 0; i < 20; i++) await imageThumbnail(image);
    const times: number[] = [];
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await imageThumbnail(image);
      times.push(performance.now() - t);
    }
    const wall = performance.now() - t0;
    const elu = performance.eventLoopUtilization(elu0);
    const mainMs = (elu.active / 200).toFixed(2);
    console.log(
      `${name} 640x480 (${bytes.length} bytes): median latency ${median(times).toFixed(2)} ms, main thread ${mainMs} ms per frame (loop busy ${((elu.active / wall) * 100).toFixed(0)}% of ${wall.toFixed(0)} ms)`,
    );
  }
}

await main();
