/**
 * Re-renders the Markdown report of saved runs:
 *   node --import tsx bench/render.ts bench/results/<run>.json [more.json ...]
 * Several files merge (e.g. a full run and a later `--only roofline` run); for the same system and
 * measurement the later file wins. The plan and machine are the first file's.
 */
import { readFile } from "node:fs/promises";
import type { Measurement } from "./common.js";
import { type ReportInput, renderReport } from "./report.js";

const files = process.argv.slice(2);
if (files.length === 0) throw new Error("usage: bench/render.ts <bench/results/....json> [...]");
const runs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, "utf8")) as ReportInput));
const byKey = new Map<string, Measurement>();
for (const run of runs) for (const m of run.measurements) byKey.set(`${m.system}\u0000${m.name}`, m);
const first = runs[0]!;
process.stdout.write(
  renderReport({
    plan: first.plan,
    machine: first.machine,
    measurements: [...byKey.values()],
    notes: runs.flatMap((r) => r.notes),
  }),
);
