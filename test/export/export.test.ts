/**
 * `florence2 export` end to end: test/export/make_checkpoints.py makes three small checkpoints (a
 * random-weight native "fine-tune", the same weights in Microsoft's original layout, and a LoRA adapter
 * with non-zero B) and the tokens transformers' generate() gives for each; every one is exported
 * through the CLI, loaded by the engine, and must caption with exactly PyTorch's tokens. Also the
 * refusals: a folder that is not Florence-2, missing weights, an adapter that does not fit. Two of
 * the exported folders are then served by ONE server under two names: each answers over the wire
 * with its own PyTorch tokens, and a name it does not serve is NOT_FOUND.
 *
 * Needs Python with tools/export/requirements.txt (FLORENCE2_PYTHON, else tools/export/.venv);
 * without one the suite is skipped, saying so. `.ci/export-check` creates the venv and runs it for real.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorenceClient } from "../../client/index.js";
import { createFlorence } from "../../models/index.js";
import { loadTokenizer } from "../../models/tokenizer.js";
import { createFlorenceServer, silentLogger } from "../../server/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const venvPython = join(ROOT, "tools/export/.venv/bin/python");
const python = process.env.FLORENCE2_PYTHON || (existsSync(venvPython) ? venvPython : undefined);
const ready =
  python !== undefined &&
  spawnSync(python, ["-c", "import torch, transformers, peft, onnx, onnxruntime"], { stdio: "ignore" }).status === 0;
const CHECKPOINTS = ["native", "original", "adapter"] as const;
type Checkpoint = (typeof CHECKPOINTS)[number];

interface Expected {
  readonly image: string;
  readonly max_new_tokens: number;
  readonly native: { readonly sequence: number[] };
  readonly original: { readonly sequence: number[] };
  readonly adapter: { readonly sequence: number[] };
}

/** Runs the florence2 CLI (from source) with the test's Python; output is kept for the assertions. */
function florence2(args: readonly string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "cli/main.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, FLORENCE2_PYTHON: python },
    timeout: 600_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function exportArgs(dir: string, name: Checkpoint): string[] {
  const src = join(dir, name === "adapter" ? "native" : name);
  const extra =
    name === "adapter" ? ["--adapter", join(dir, "adapter")] : name === "native" ? ["--variants", "q8"] : [];
  return ["export", src, join(dir, `out-${name}`), "--report", join(dir, `report-${name}.json`), ...extra];
}

// .ci/export-check sets FLORENCE2_EXPORT_REQUIRED=1: there a missing Python is a failure, not a skip
it.runIf(process.env.FLORENCE2_EXPORT_REQUIRED === "1")("has a Python with the exporter's packages", () => {
  expect(
    ready,
    `FLORENCE2_PYTHON=${python ?? "(unset)"} cannot import torch, transformers, peft, onnx, onnxruntime`,
  ).toBe(true);
});

describe.skipIf(!ready)(
  "florence2 export (skipped: needs FLORENCE2_PYTHON or tools/export/.venv with tools/export/requirements.txt; .ci/export-check sets it up)",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "florence2-export-"));
    let expected: Expected;
    const exported: Partial<Record<Checkpoint, ReturnType<typeof florence2>>> = {};

    beforeAll(() => {
      const made = spawnSync(python!, [join(ROOT, "test/export/make_checkpoints.py"), dir], {
        encoding: "utf8",
        timeout: 600_000,
      });
      expect(made.status, made.stderr).toBe(0);
      expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
      for (const name of CHECKPOINTS) exported[name] = florence2(exportArgs(dir, name));
    }, 1_800_000);

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("the adapter changes the caption (so a missing merge would be seen)", () => {
      expect(expected.adapter.sequence).not.toEqual(expected.native.sequence);
    });

    it.each(CHECKPOINTS)("%s: exports after the check passed, and serves PyTorch's caption tokens", async (name) => {
      const run = exported[name]!;
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/<CAPTION> +max \|logits diff\| .* greedy tokens identical .*: ok/);
      const report = JSON.parse(readFileSync(join(dir, `report-${name}.json`), "utf8"));
      expect(report.check.passed).toBe(true);
      expect(report.layout).toBe(name === "original" ? "original" : "native");
      const out = join(dir, `out-${name}`);
      expect(existsSync(join(out, ".staging"))).toBe(false);

      const florence = await createFlorence({ model: out });
      try {
        const [result] = await florence.run({ task: "caption" }, [{ kind: "path", path: join(ROOT, expected.image) }], {
          maxNewTokens: expected.max_new_tokens,
          numBeams: 1,
        });
        const sequence = expected[name].sequence;
        const tokenizer = await loadTokenizer(out);
        expect(result?.rawText).toBe(tokenizer.decode(sequence));
        expect(result?.generatedTokens).toBe(sequence.length - 1);
      } finally {
        await florence.close();
      }
    });

    it("one server serves two exported folders by name, each answering with its own PyTorch tokens", async () => {
      // The native fine-tune and its adapter-merged export caption differently (checked above), so
      // a request routed to the wrong model would show.
      const served = ["native", "adapter"] as const;
      for (const name of served) expect(exported[name]?.status, exported[name]?.stderr).toBe(0);
      const server = createFlorenceServer({
        models: served.map((name) => ({ name, load: () => createFlorence({ model: join(dir, `out-${name}`) }) })),
        host: "127.0.0.1",
        port: 0,
        logger: silentLogger,
        preloadModels: true,
      });
      try {
        const { url } = await server.listen();
        expect(await server.ready).toBe(true);
        const client = createFlorenceClient({ baseUrl: url, retry: false });
        const image = readFileSync(join(ROOT, expected.image));
        const options = { maxNewTokens: expected.max_new_tokens, numBeams: 1 };
        for (const name of served) {
          const [result] = await client.run("caption", [image], { ...options, model: name });
          const sequence = expected[name].sequence;
          const tokenizer = await loadTokenizer(join(dir, `out-${name}`));
          expect(result?.rawText, `model ${name}`).toBe(tokenizer.decode(sequence));
          expect(result?.generatedTokens, `model ${name}`).toBe(sequence.length - 1);
        }
        const unknown = await client.run("caption", [image], { ...options, model: "original" }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(unknown?.code).toBe(Code.NotFound);
        expect(unknown?.rawMessage).toContain("it has: native, adapter");
      } finally {
        await server.close({ graceMs: 1000 });
      }
    });

    it("writes the q8 variant it was asked for, and it loads", async () => {
      const out = join(dir, "out-native");
      expect(existsSync(join(out, "onnx/decoder_model_merged_quantized.onnx"))).toBe(true);
      const florence = await createFlorence({ model: out, dtype: "q8" });
      await florence.close();
    });

    it("refuses a folder that is not Florence-2", () => {
      const src = join(dir, "not-florence");
      cpSync(join(dir, "native"), src, { recursive: true });
      writeFileSync(join(src, "config.json"), JSON.stringify({ model_type: "bart" }));
      const r = florence2(["export", src, join(dir, "out-bad1")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        'config.json has model_type "bart"; a Florence-2 checkpoint has "model_type": "florence2"',
      );
      expect(existsSync(join(dir, "out-bad1", "config.json"))).toBe(false);
    });

    it("refuses missing weights, naming the files it looked for", () => {
      const src = join(dir, "no-weights");
      cpSync(join(dir, "native"), src, { recursive: true });
      rmSync(join(src, "model.safetensors"));
      const r = florence2(["export", src, join(dir, "out-bad2")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("no weights in the checkpoint folder: looked for model.safetensors");
      expect(r.stderr).toContain("pytorch_model.bin");
    });

    it("refuses an adapter that does not fit the model, and writes nothing", () => {
      const adapter = join(dir, "adapter-r8");
      cpSync(join(dir, "adapter"), adapter, { recursive: true });
      const cfgPath = join(adapter, "adapter_config.json");
      writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, "utf8")), r: 8 }));
      const out = join(dir, "out-bad3");
      const r = florence2(["export", join(dir, "native"), out, "--adapter", adapter]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/--adapter does not fit this model \(shapes differ\): size mismatch for .*lora_/);
      expect(existsSync(join(out, "config.json"))).toBe(false);
    });
  },
);
