/**
 * `npm run test:unit`: the fast tests, the full suite (vitest.config.ts) minus every test file
 * that loads an ONNX model or starts an engine. Rule, by file: a test is a model test when it opens
 * an onnxruntime session (loadSessions, InferenceSession.create, test/support/tiny-model.ts),
 * creates an engine (createFlorence, createLocalEngine, createWorkerEngine) or starts a worker
 * thread; files named `*.tiny.test.ts` are model tests by name. Reading a JSON or tokenizer file of
 * test/fixtures/tiny does not count. test/architecture/unit-tests.test.ts checks that no file
 * kept here breaks the rule and that every path listed below still exists.
 */
import { configDefaults, defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/** Test files that load a model or start an engine, by folder or by name. */
export const MODEL_TESTS: readonly string[] = [
  "**/*.tiny.test.ts",
  "test/engine/**",
  "test/service/**",
  "test/fuzz/**",
  "test/browser/**",
  "test/export/**",
  "test/adversarial/cancellation.test.ts",
  "test/adversarial/model-limits.test.ts",
  "test/adversarial/supervision.test.ts",
  "models/generation/generation.golden.test.ts",
  "models/loading/fixture.test.ts",
  "models/loading/sessions.test.ts",
  "models/worker/preprocess-pool.test.ts",
];

export default mergeConfig(base, defineConfig({ test: { exclude: [...configDefaults.exclude, ...MODEL_TESTS] } }));
