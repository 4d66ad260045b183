/**
 * The nouns of several models in one server: a configured model (its name and how it loads), the
 * budget of loaded models, and how a model looks to ListModels, health and a call holding it.
 * server/model-registry.ts does the loading and unloading.
 */
import type { FlorenceEngine } from "../models/engine.js";
import type { FlorenceError } from "../models/errors.js";

export type ModelState = "unloaded" | "loading" | "loaded" | "failed";

/** One configured model. */
export interface ModelSource {
  /** The name requests use in their `model` field. */
  readonly name: string;
  /** Loads the model; called again after an unload or a failed load. */
  readonly load: () => Promise<FlorenceEngine>;
  /**
   * Bytes the loaded model counts against ModelBudget.maxBytes (the CLI gives its ONNX files'
   * sizes). Read once the load has ended; default 0.
   */
  readonly sizeBytes?: (engine: FlorenceEngine) => number;
  /** False for an engine handed over already made: it cannot be loaded again once unloaded. Default true. */
  readonly reloadable?: boolean;
}

export interface ModelBudget {
  /** Most models loaded at once; 0 = no limit. */
  readonly maxLoaded: number;
  /** Most bytes of loaded models (ModelSource.sizeBytes); 0 = no limit. */
  readonly maxBytes: number;
}

/** One model as ListModels and health see it. */
export interface ModelView {
  readonly name: string;
  readonly state: ModelState;
  readonly isDefault: boolean;
  readonly engine: FlorenceEngine | undefined;
  readonly loadError: FlorenceError | undefined;
  readonly loads: number;
  readonly unloads: number;
  /** Calls and streams using it now. */
  readonly inUse: number;
  /** False while none of its workers can run (a loaded model only). */
  readonly workersAvailable: boolean;
  /** True while a start-up load runs: requests for it get UNAVAILABLE meanwhile. */
  readonly startupLoading: boolean;
  /** Why none of its workers can run, while workersAvailable is false. */
  readonly unavailableCause: unknown;
}

/** A model held for one call: `release` (idempotent) makes it idle again when nothing else uses it. */
export interface ModelLease {
  readonly name: string;
  readonly engine: FlorenceEngine;
  release(): void;
}

/** A model name a server can take: what a --model NAME may be. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,127}$/;

/** Why `name` cannot name a model; undefined when it can. */
export function modelNameProblem(name: string): string | undefined {
  if (MODEL_NAME.test(name)) return undefined;
  return `model name ${JSON.stringify(name)} is not allowed: use 1 to 128 letters, digits, ".", "_", "-" or "/", starting with a letter or digit`;
}
