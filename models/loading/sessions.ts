/**
 * Creates the four onnxruntime-node sessions of a model folder, checks them against the Florence-2
 * contract (contract.ts) and config.json, and turns ORT's load failures into FlorenceErrors that
 * say what is missing: a provider library, a file, or a graph that does not fit.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { InferenceSession as OrtSession } from "onnxruntime-node";
import { InferenceSession } from "onnxruntime-node";
import type { ExecutionProviderName } from "../engine.js";
import { FlorenceError, isFlorenceError } from "../errors.js";
import type { ModelContract, SessionMetadata } from "./contract.js";
import { validateDecoder, validateEmbed, validateEncoder, validateVision } from "./contract.js";
import type { DtypeSpec, FileDtypes, ModelFileName } from "./dtype.js";
import { DEFAULT_DTYPE, MODEL_FILES, onnxFilePaths, resolveFileDtypes } from "./dtype.js";
import type { ModelConfig } from "./model-config.js";
import { readModelConfig } from "./model-config.js";
import { describeProviderFailure, isProviderFailure } from "./provider-errors.js";

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

export interface SessionLoadOptions {
  /** Where the graphs run. Default "cpu". "cuda" needs the CUDA 13 provider `npm run gpu:install` places (docs/gpu.md); "webgpu" needs Vulkan. */
  readonly executionProvider: ExecutionProviderName;
  /** GPU index for cuda. Default 0. */
  readonly deviceId: number;
  /** ORT intra-op threads per session; 0 = ORT's default (one per physical core). Default 0. */
  readonly intraOpNumThreads: number;
  /** Default "all" (ORT's default). */
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  /** Precision of the files, one for all or per file. Default "fp32". */
  readonly dtype: DtypeSpec;
  /**
   * Whether ORT's intra-op threads spin-wait between runs. Default true (ORT's default, lowest
   * latency); false when several sessions or processes share few cores, where spinning steals CPU.
   */
  readonly allowSpinning: boolean;
  /** ORT log level: 0 verbose … 3 error, 4 fatal. Default 3, so graph warnings do not flood logs. */
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /** The folder's config when already read; default: read with readModelConfig(dir). */
  readonly config: ModelConfig | undefined;
}

export type SessionLoadOptionsInit = { readonly [K in keyof SessionLoadOptions]?: SessionLoadOptions[K] | undefined };

export const sessionLoadDefaults: Readonly<SessionLoadOptions> = {
  executionProvider: "cpu",
  deviceId: 0,
  intraOpNumThreads: 0,
  graphOptimizationLevel: "all",
  dtype: DEFAULT_DTYPE,
  allowSpinning: true,
  logSeverityLevel: 3,
  config: undefined,
};

export function makeSessionLoadOptions(init: SessionLoadOptionsInit = {}): Readonly<SessionLoadOptions> {
  const defined = Object.fromEntries(
    Object.entries(init).filter(([, v]) => v !== undefined),
  ) as Partial<SessionLoadOptions>;
  const options = { ...sessionLoadDefaults, ...defined };
  if (!Number.isInteger(options.intraOpNumThreads) || options.intraOpNumThreads < 0) {
    throw new FlorenceError(
      "invalid_argument",
      `intraOpNumThreads ${options.intraOpNumThreads} must be a whole number >= 0 (0 = ORT default)`,
    );
  }
  return options;
}

/**
 * The onnxruntime SessionOptions for our options; pure, so it is unit-tested.
 *
 * On CPU no session keeps onnxruntime's memory arena. The arena reserves every session's peak
 * (in power-of-two extensions) for the life of the process: the vision encoder's activations, and
 * the decoder's step-0 outputs, which hold the cross-attention K/V of the whole batch (348 MB for
 * 16 base rows). Without it those buffers go back to malloc after the pass. Measured on the base
 * model, 2-core machine (BENCHMARKS.md): peak RSS with 16 callers 3.5 -> 2.5 GB for the encoders,
 * then 2.62 -> 2.47 GB for the decoder and embedding, at the same speed within the run-to-run noise.
 */
export function toOrtSessionOptions(o: Readonly<SessionLoadOptions>): OrtSession.SessionOptions {
  const provider: OrtSession.ExecutionProviderConfig =
    o.executionProvider === "cuda" ? { name: "cuda", deviceId: o.deviceId } : o.executionProvider;
  return {
    executionProviders: [provider],
    ...(o.executionProvider === "cpu" ? { enableCpuMemArena: false } : {}),
    graphOptimizationLevel: o.graphOptimizationLevel,
    logSeverityLevel: o.logSeverityLevel,
    ...(o.intraOpNumThreads > 0 ? { intraOpNumThreads: o.intraOpNumThreads } : {}),
    ...(o.allowSpinning
      ? {}
      : { extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } } }),
  };
}

export interface FlorenceSessions {
  /** The model folder. */
  readonly dir: string;
  /** Folder-relative path of each loaded graph. */
  readonly files: Readonly<Record<ModelFileName, string>>;
  readonly dtypes: FileDtypes;
  readonly executionProvider: ExecutionProviderName;
  readonly config: ModelConfig;
  /** Names, element types and sizes read from the sessions, checked against config.json. */
  readonly contract: ModelContract;
  readonly sessions: Readonly<Record<ModelFileName, OrtSession>>;
  /** Releases all four sessions; safe to call twice. */
  release(): Promise<void>;
}

export function sessionMetadata(file: string, session: OrtSession): SessionMetadata {
  return { file, inputs: session.inputMetadata, outputs: session.outputMetadata };
}

async function releaseAll(sessions: readonly OrtSession[]): Promise<void> {
  await Promise.allSettled(sessions.map((s) => s.release()));
}

async function createSession(
  dir: string,
  file: string,
  ortOptions: OrtSession.SessionOptions,
  provider: ExecutionProviderName,
): Promise<OrtSession> {
  try {
    return await InferenceSession.create(join(dir, file), ortOptions);
  } catch (e) {
    if (provider !== "cpu" && isProviderFailure(e, provider)) {
      throw new FlorenceError("provider_unavailable", describeProviderFailure(e, provider), { cause: e });
    }
    const detail = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.slice(0, 300);
    throw new FlorenceError(
      "model_load",
      `${file}: onnxruntime could not load it (${detail}); re-download the model or check that the file is a complete ONNX graph`,
      { cause: e },
    );
  }
}

/**
 * Loads the four graphs of `dir` for the requested dtype and execution provider and validates them.
 * Fails with `model_load` (missing file, unloadable or non-conforming graph, bad config),
 * `provider_unavailable` (cuda/webgpu cannot start here) or `invalid_argument` (bad options).
 * On failure nothing stays loaded.
 */
export async function loadSessions(dir: string, init: SessionLoadOptionsInit = {}): Promise<FlorenceSessions> {
  const options = makeSessionLoadOptions(init);
  const dtypes = resolveFileDtypes(options.dtype);
  const files = onnxFilePaths(dtypes);
  const missing: string[] = [];
  for (const f of MODEL_FILES) {
    await access(join(dir, files[f])).catch(() => missing.push(files[f]));
  }
  if (missing.length > 0) throw new FlorenceError("model_load", `model folder ${dir} is missing ${missing.join(", ")}`);
  const config = options.config ?? (await readModelConfig(dir));
  const ortOptions = toOrtSessionOptions(options);

  const loaded: OrtSession[] = [];
  try {
    // One at a time: creation is synchronous inside ORT, and a provider failure should stop at the first file.
    const sessions = {} as Record<ModelFileName, OrtSession>;
    const contract: Partial<{ -readonly [K in keyof ModelContract]: ModelContract[K] }> = {};
    for (const f of MODEL_FILES) {
      const session = await createSession(dir, files[f], ortOptions, options.executionProvider);
      loaded.push(session);
      sessions[f] = session;
      // Check each graph as soon as it is loaded, so a bad folder fails before the big decoder loads.
      const meta = sessionMetadata(files[f], session);
      if (f === "vision_encoder")
        contract.vision = validateVision(meta, config.text, config.preprocessor.imageSeqLength);
      else if (f === "embed_tokens") contract.embed = validateEmbed(meta, config.text);
      else if (f === "encoder_model") contract.encoder = validateEncoder(meta, config.text);
      else contract.decoder = validateDecoder(meta, config.text);
    }
    let released = false;
    return {
      dir,
      files,
      dtypes,
      executionProvider: options.executionProvider,
      config,
      contract: contract as ModelContract,
      sessions,
      release: async () => {
        if (released) return;
        released = true;
        await releaseAll(loaded);
      },
    };
  } catch (e) {
    await releaseAll(loaded);
    throw isFlorenceError(e) ? e : new FlorenceError("internal", `loading the model in ${dir} failed`, { cause: e });
  }
}
