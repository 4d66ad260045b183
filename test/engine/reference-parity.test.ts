/**
 * The whole engine (our image decode and PIL-exact resize, prompts, tokenizer, ONNX sessions,
 * greedy and beam-3 search) against the reference: transformers' Florence2ForConditionalGeneration
 * in PyTorch on the same random weights (test/fixtures/goldens/generation.json, 7 images x 15
 * task cases). Token-exact, for every case, greedy and beam.
 *
 * Exclusion rule (docs/generation.md#14-how-it-is-verified): a case may only differ where the
 * reference's top-2 margin at the first differing step is below the ONNX-vs-PyTorch tolerance
 * (NEAR_TIE). Such cases are listed by
 * the test, and none is excluded today.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlorenceEngine, TaskRequest } from "../../models/engine.js";
import { makeEngineOptions } from "../../models/engine-options.js";
import { createLocalEngine } from "../../models/pipeline.js";
import { findTask } from "../../models/tasks.js";

const ROOT = new URL("../../", import.meta.url);
const MODEL = new URL("test/fixtures/tiny", ROOT).pathname;
/** Logits of our ONNX run and PyTorch agree to ~1e-5 (first-step-logits.json); a margin below this is a coin toss. */
const NEAR_TIE = 1e-4;

interface GoldenRun {
  readonly sequence: number[];
  readonly top2_margin?: Array<number | null>;
  readonly candidate_min_gap?: Array<number | null>;
}

interface GoldenCase {
  readonly id: string;
  readonly image: string;
  readonly task: string;
  readonly text_input: string | null;
  readonly region: { readonly box_xyxy_pixels: [number, number, number, number] } | null;
  readonly greedy: GoldenRun;
  readonly beam: GoldenRun;
}

interface Golden {
  readonly settings: { readonly max_new_tokens: number };
  readonly cases: GoldenCase[];
}

let golden: Golden;
let engine: FlorenceEngine;

beforeAll(async () => {
  golden = JSON.parse(await readFile(new URL("test/fixtures/goldens/generation.json", ROOT), "utf8")) as Golden;
  engine = await createLocalEngine(makeEngineOptions({ model: MODEL }));
});

afterAll(async () => {
  await engine?.close();
});

function requestOf(c: GoldenCase): TaskRequest {
  const spec = findTask(c.task);
  if (spec === undefined) throw new Error(`golden task ${c.task} is not in our task table`);
  if (spec.input === "region") {
    if (c.region === null) throw new Error(`${c.id}: region task without a region`);
    return { task: spec.name, region: c.region.box_xyxy_pixels };
  }
  return { task: spec.name, ...(spec.input === "text" && c.text_input !== null ? { text: c.text_input } : {}) };
}

/**
 * Runs all cases of one image as ONE batched call (runTasks: one vision pass, rows of different
 * prompt lengths and tasks decoding together), so the test also proves batching changes nothing.
 */
async function generatedIds(cases: readonly GoldenCase[], numBeams: number): Promise<number[][]> {
  const ids: number[][] = cases.map(() => [2]);
  await engine.runTasks(
    cases.map(requestOf),
    { kind: "path", path: new URL(cases[0]!.image, ROOT).pathname },
    {
      numBeams,
      maxNewTokens: golden.settings.max_new_tokens,
      onToken: (t) => ids[t.imageIndex]!.push(t.id),
    },
  );
  return ids;
}

function byImage(cases: readonly GoldenCase[]): GoldenCase[][] {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of cases) groups.set(c.image, [...(groups.get(c.image) ?? []), c]);
  return [...groups.values()];
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe.each([
  ["greedy", 1, "greedy"],
  ["beam-3", 3, "beam"],
] as const)("%s decoding equals the PyTorch reference", (_label, numBeams, key) => {
  it("for every golden case (all 15 task tokens, region and text variants, 7 images), each image one batched call", async () => {
    const mismatches: string[] = [];
    const nearTies: string[] = [];
    const pairs: Array<[GoldenCase, number[]]> = [];
    for (const group of byImage(golden.cases)) {
      const ids = await generatedIds(group, numBeams);
      for (const [i, c] of group.entries()) pairs.push([c, ids[i]!]);
    }
    for (const [c, ours] of pairs) {
      const ref = c[key].sequence;
      const at = firstDifference(ours, ref);
      if (at === -1) continue;
      // margin index t belongs to generated token t = sequence[t + 1]
      const margin = (key === "greedy" ? c.greedy.top2_margin : c.beam.candidate_min_gap)?.[at - 1] ?? null;
      const line = `${c.id}: first difference at sequence[${at}] (ours ${ours[at]}, reference ${ref[at]}), reference margin ${margin}`;
      if (margin !== null && margin < NEAR_TIE) nearTies.push(line);
      else mismatches.push(line);
    }
    expect(golden.cases.length).toBeGreaterThanOrEqual(100);
    // all 15 task tokens (the three caption levels count separately)
    expect(new Set(golden.cases.map((c) => c.task)).size).toBe(15);
    expect(mismatches).toEqual([]);
    // Listed, not hidden: a near-tie exclusion would show up here.
    expect(nearTies).toEqual([]);
  }, 600_000);
});
