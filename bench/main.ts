/**
 * `npm run bench` (quick, under 10 minutes on 2 cores) or `npm run bench -- --full`: runs every
 * system in its own process, one after another, on the same model folder, the same images and the
 * same number of generated tokens, then prints a Markdown report and writes the raw results to
 * bench/results/. Options: --model <folder> (default the base preset in .cache/models),
 * --python <interpreter> (default tools/reference/.venv/bin/python), --only <system,...>.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type BenchPlan, type Measurement, PLANS, RESULT_PREFIX, type SystemInput } from "./common.js";
import { makeBenchImages } from "./images.js";
import { renderReport } from "./report.js";

const ROOT = new URL("..", import.meta.url).pathname;
const SYSTEMS = ["roofline", "engine", "service", "transformersjs", "pytorch"] as const;
type SystemName = (typeof SYSTEMS)[number];

const { values } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    model: { type: "string", default: join(ROOT, ".cache/models/florence-2-base-random") },
    python: { type: "string", default: join(ROOT, "tools/reference/.venv/bin/python") },
    only: { type: "string" },
  },
});
const plan: BenchPlan = PLANS[values.full ? "full" : "quick"];
const only = new Set((values.only ?? SYSTEMS.join(",")).split(",") as SystemName[]);

if (!existsSync(join(values.model, "onnx", "decoder_model_merged.onnx"))) {
  process.stderr.write(
    `no model at ${values.model}. Generate the base preset (florence-2-base dimensions, random weights) once:\n` +
      "  python3 -m venv tools/reference/.venv && tools/reference/.venv/bin/pip install -r tools/reference/requirements.txt\n" +
      "  tools/reference/.venv/bin/python tools/reference/make_fixtures.py --preset base --out .cache/models/florence-2-base-random\n",
  );
  process.exit(1);
}

const images = await makeBenchImages(join(ROOT, "test/fixtures/images"), join(ROOT, ".cache/bench/images"), 16);
const input: SystemInput = { model: values.model, images, plan };

/** Runs one system's process and collects its measurements; its other output goes to stderr. */
function runSystem(command: string, args: readonly string[]): Promise<{ measurements: Measurement[]; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args, JSON.stringify(input)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const measurements: Measurement[] = [];
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(RESULT_PREFIX)) {
          const m = JSON.parse(line.slice(RESULT_PREFIX.length)) as Measurement;
          measurements.push(m);
          process.stderr.write(`  ${m.system} | ${m.name}: ${m.value.toFixed(2)} ${m.unit}\n`);
        } else process.stderr.write(`${line}\n`);
      }
    });
    child.on("error", (e) => resolve({ measurements, error: e.message }));
    child.on("exit", (code) =>
      resolve(code === 0 ? { measurements } : { measurements, error: `exited with code ${code}` }),
    );
  });
}

const tsx = (file: string): [string, string[]] => [
  process.execPath,
  ["--import", "tsx", join(ROOT, "bench/systems", file)],
];
const commands: Record<SystemName, () => [string, string[]] | string> = {
  roofline: () => tsx("roofline.ts"),
  engine: () => tsx("engine.ts"),
  service: () => tsx("service.ts"),
  transformersjs: () => tsx("transformersjs.ts"),
  pytorch: () =>
    existsSync(values.python)
      ? [values.python, [join(ROOT, "bench/systems/pytorch_reference.py")]]
      : `skipped: no Python at ${values.python} (see tools/reference/README.md)`,
};

const all: Measurement[] = [];
const notes: string[] = [];
const started = performance.now();
for (const name of SYSTEMS) {
  if (!only.has(name)) continue;
  const command = commands[name]();
  if (typeof command === "string") {
    notes.push(`${name}: ${command}`);
    continue;
  }
  process.stderr.write(`== ${name}\n`);
  const t0 = performance.now();
  const { measurements, error } = await runSystem(command[0], command[1]);
  all.push(...measurements);
  notes.push(
    `${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s${error === undefined ? "" : ` (FAILED: ${error})`}`,
  );
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
const totalSeconds = (performance.now() - started) / 1000;
const markdown = renderReport({ plan, machine, measurements: all, notes, totalSeconds });
await mkdir(join(ROOT, "bench/results"), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await writeFile(
  join(ROOT, "bench/results", `${plan.mode}-${stamp}.json`),
  JSON.stringify({ plan, machine, measurements: all, notes, totalSeconds }, null, 2),
);
await writeFile(join(ROOT, "bench/results", `${plan.mode}-${stamp}.md`), markdown);
process.stdout.write(markdown);
