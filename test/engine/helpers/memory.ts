/**
 * Memory sampling for leak tests. vitest runs each file in a forked process whose flags we do not
 * control, so `global.gc` is usually missing; V8 lets a running process expose it, which is what
 * forceGc() does (once) when needed.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFunction: (() => void) | undefined;

/** A full, synchronous garbage collection of THIS thread's heap (worker heaps collect on their own). */
export function forceGc(): void {
  if (gcFunction === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing !== undefined) {
      gcFunction = existing;
    } else {
      setFlagsFromString("--expose-gc");
      // A new context created after the flag is set gets a `gc` global.
      gcFunction = runInNewContext("gc") as () => void;
    }
  }
  gcFunction();
}

export interface MemorySample {
  /** Resident set of the whole process, worker threads and native (onnxruntime, sharp) memory included. */
  readonly rss: number;
  /** This thread's V8 heap in use. */
  readonly heapUsed: number;
  /** This thread's ArrayBuffers (onnxruntime-node output tensors are counted here, measured). */
  readonly arrayBuffers: number;
  /** Memory of C++ objects bound to this thread's JS objects (includes arrayBuffers). */
  readonly external: number;
}

/** Collects garbage (twice, so finalizers freed in the first pass are reclaimed), then samples. */
export async function sampleMemory(): Promise<MemorySample> {
  forceGc();
  await new Promise((resolve) => setImmediate(resolve));
  forceGc();
  const { rss, heapUsed, arrayBuffers, external } = process.memoryUsage();
  return { rss, heapUsed, arrayBuffers, external };
}

/** after - before, field by field, in MiB (rounded to 0.1) for readable test output. */
export function growthMiB(before: MemorySample, after: MemorySample): Record<keyof MemorySample, number> {
  const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  return {
    rss: mib(after.rss - before.rss),
    heapUsed: mib(after.heapUsed - before.heapUsed),
    arrayBuffers: mib(after.arrayBuffers - before.arrayBuffers),
    external: mib(after.external - before.external),
  };
}
