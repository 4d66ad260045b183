/**
 * Where a model comes from: a local folder, one of the onnx-community Florence-2 exports by short
 * name, or any hub repo "owner/name" (a user's fine-tune). Hub models are downloaded into the cache
 * (see download.ts); the result is always a local folder in the onnx-community layout.
 */
import type { Dirent, Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { ModelDtype } from "../engine.js";
import { FlorenceError, isFlorenceError } from "../errors.js";
import type { DtypeSpec, FileDtypes, ModelFileEntry, ModelFileName } from "../loading/index.js";
import {
  availableDtypes,
  DEFAULT_DTYPE,
  describeDtypes,
  externalDataFiles,
  modelFileList,
  onnxFilePaths,
  resolveFileDtypes,
} from "../loading/index.js";
import { downloadFile, readCachedFile } from "./download.js";
import type { HubRequestContext } from "./http.js";
import { isTransient } from "./http.js";
import type { ProgressCallback } from "./progress.js";
import { listRepoFiles } from "./repo-listing.js";
import { cacheRevisionDir, isRepoId } from "./url.js";

/** Short names for the official exports. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  "florence-2-base": "onnx-community/Florence-2-base",
  "florence-2-large": "onnx-community/Florence-2-large",
  "florence-2-base-ft": "onnx-community/Florence-2-base-ft",
  "florence-2-large-ft": "onnx-community/Florence-2-large-ft",
};

export interface ModelSourceOptions {
  /** Download cache root. Default $FLORENCE2_CACHE, else ~/.cache/florence2. */
  readonly cacheDir: string;
  /** Hub endpoint. Default $HF_ENDPOINT, else https://huggingface.co. Tests point it at a local server. */
  readonly hubBaseUrl: string;
  /** Branch, tag or commit of hub repos. Default "main". */
  readonly revision: string;
  /** Access token for private or gated repos, sent as `Authorization: Bearer`. Default $HF_TOKEN; "" sends none. */
  readonly token: string | undefined;
  /** Never use the network: local folders and already-cached hub files only. Default false, or true when $HF_HUB_OFFLINE is "1"/"true". */
  readonly offline: boolean;
  /** Precision of the ONNX files, one for all or per file. Default "fp32". */
  readonly dtype: DtypeSpec;
  /** Called while hub files download (e.g. createProgressBar(process.stderr).onProgress). Default none. */
  readonly progress: ProgressCallback | undefined;
  /** Extra attempts per request after network errors, timeouts, 429 and 5xx. Default 4. */
  readonly retries: number;
  /** First backoff delay in ms; doubles per retry. Default 500. */
  readonly retryDelayMs: number;
  /** A request is retried when no bytes arrive for this many ms. Default 30000. */
  readonly timeoutMs: number;
  /** Cancels the download; the partial file is kept for the next run. Default none. */
  readonly signal: AbortSignal | undefined;
}

/** Fields left out, or set to undefined, take their defaults. */
export type ModelSourceOptionsInit = { readonly [K in keyof ModelSourceOptions]?: ModelSourceOptions[K] | undefined };

type Env = Readonly<Record<string, string | undefined>>;

/** The defaults, with the environment variables read from `env`. */
export function modelSourceDefaults(env: Env = process.env): Readonly<ModelSourceOptions> {
  return {
    cacheDir: env.FLORENCE2_CACHE || join(homedir(), ".cache", "florence2"),
    hubBaseUrl: env.HF_ENDPOINT || "https://huggingface.co",
    revision: "main",
    token: env.HF_TOKEN || undefined,
    offline: env.HF_HUB_OFFLINE === "1" || env.HF_HUB_OFFLINE?.toLowerCase() === "true",
    dtype: DEFAULT_DTYPE,
    progress: undefined,
    retries: 4,
    retryDelayMs: 500,
    timeoutMs: 30_000,
    signal: undefined,
  };
}

export function makeModelSourceOptions(
  init: ModelSourceOptionsInit = {},
  env: Env = process.env,
): Readonly<ModelSourceOptions> {
  const defined = Object.fromEntries(
    Object.entries(init).filter(([, v]) => v !== undefined),
  ) as Partial<ModelSourceOptions>;
  return { ...modelSourceDefaults(env), ...defined };
}

export type ModelSourceKind =
  /** A folder the user gave. */
  | "local"
  /** A hub repo, checked against the hub (files downloaded or confirmed current). */
  | "hub"
  /** A hub repo served from the cache without the hub: offline mode, or the hub was unreachable. */
  | "cache";

export interface ResolvedModel {
  /** What was asked for: a path, a short name or "owner/name". */
  readonly spec: string;
  /** Absolute folder holding the files (for hub repos, the cache folder of the revision). */
  readonly path: string;
  readonly source: ModelSourceKind;
  /** Hub repo id; undefined for local folders. */
  readonly repo: string | undefined;
  readonly revision: string | undefined;
  /** Commit the revision pointed at, when the hub said. */
  readonly commit: string | undefined;
  readonly dtypes: FileDtypes;
  /** Folder-relative path of each graph, e.g. "onnx/encoder_model_fp16.onnx". */
  readonly onnxFiles: Readonly<Record<ModelFileName, string>>;
  /** Bytes transferred by this call; 0 when everything was local or cached. */
  readonly downloadedBytes: number;
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

async function listFolder(root: string, sub = ""): Promise<string[]> {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, sub), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = sub === "" ? e.name : `${sub}/${e.name}`;
    if (e.isDirectory() && !e.name.startsWith(".")) out.push(...(await listFolder(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

function dtypeHint(present: Iterable<string>): string {
  const have = availableDtypes(present);
  return have.length === 0
    ? "it has no complete set of the four ONNX graphs"
    : `it has dtype ${have.join(", ")}; pass --dtype ${have[0] as ModelDtype}`;
}

function missingMessage(
  where: string,
  missing: readonly string[],
  dtypes: FileDtypes,
  present: Iterable<string>,
): string {
  const graphs = missing.some((m) => m.startsWith("onnx/"));
  const what = missing.length === 1 ? missing[0] : `${missing.length} files: ${missing.join(", ")}`;
  return `${where} is missing ${what}${graphs ? ` (dtype ${describeDtypes(dtypes)}; ${dtypeHint(present)})` : ""}`;
}

async function resolveLocal(spec: string, folder: string, dtypes: FileDtypes): Promise<ResolvedModel> {
  const present = new Set(await listFolder(folder));
  const missing = modelFileList(dtypes)
    .filter((f) => f.required && !present.has(f.path))
    .map((f) => f.path);
  if (missing.length > 0)
    throw new FlorenceError("model_load", missingMessage(`model folder ${folder}`, missing, dtypes, present));
  return {
    spec,
    path: folder,
    source: "local",
    repo: undefined,
    revision: undefined,
    commit: undefined,
    dtypes,
    onnxFiles: onnxFilePaths(dtypes),
    downloadedBytes: 0,
  };
}

/** The required files that are not complete in the cache folder of a repo revision. */
async function missingFromCache(revisionDir: string, files: readonly ModelFileEntry[]): Promise<string[]> {
  const missing: string[] = [];
  for (const f of files) {
    if (f.required && (await readCachedFile(revisionDir, f.path)) === undefined) missing.push(f.path);
  }
  return missing;
}

/** Turns "florence-2-base" or "owner/name" into a repo id; anything else is a bad spec. */
export function toRepoId(spec: string): string | undefined {
  const alias = MODEL_ALIASES[spec.toLowerCase()];
  if (alias !== undefined) return alias;
  return isRepoId(spec) ? spec : undefined;
}

function looksLikePath(spec: string): boolean {
  return /^(\.{1,2}[/\\]|[/\\~]|[A-Za-z]:[/\\])/.test(spec) || spec.includes("\\") || spec.split("/").length > 2;
}

/**
 * Resolves `spec` to a local model folder holding config, tokenizer, preprocessor config and the
 * four graphs for the requested dtype, downloading hub files when needed.
 * Fails with `model_load` (missing folder/file/repo, or offline without a cache), `download`
 * (network, token, checksum), `invalid_argument` (bad spec or dtype), `cancelled` (signal).
 */
export async function resolveModel(spec: string, init: ModelSourceOptionsInit = {}): Promise<ResolvedModel> {
  const options = makeModelSourceOptions(init);
  const dtypes = resolveFileDtypes(options.dtype);
  const local = resolve(expandHome(spec));
  const info = await statOrUndefined(local);
  if (info?.isDirectory() === true) return resolveLocal(spec, local, dtypes);
  const repo = looksLikePath(spec) ? undefined : toRepoId(spec);
  if (repo === undefined) {
    if (looksLikePath(spec) || info !== undefined)
      throw new FlorenceError("model_load", `model folder ${local} does not exist (or is not a folder)`);
    throw new FlorenceError(
      "invalid_argument",
      `model "${spec}" is not a folder, a known model (${Object.keys(MODEL_ALIASES).join(", ")}) or a hub repo id "owner/name"`,
      { violations: [{ field: "model", description: "unknown model" }] },
    );
  }
  return resolveHub(spec, repo, dtypes, options);
}

async function resolveHub(
  spec: string,
  repo: string,
  dtypes: FileDtypes,
  options: Readonly<ModelSourceOptions>,
): Promise<ResolvedModel> {
  const { revision } = options;
  const revisionDir = resolve(expandHome(cacheRevisionDir(options.cacheDir, repo, revision)));
  const wanted = modelFileList(dtypes);
  const base = { spec, path: revisionDir, repo, revision, dtypes, onnxFiles: onnxFilePaths(dtypes) };
  const fromCache = async (why: string): Promise<ResolvedModel> => {
    const missing = await missingFromCache(revisionDir, wanted);
    if (missing.length > 0) {
      const what = missing.length === 1 ? missing[0] : `${missing.length} files (${missing.join(", ")})`;
      throw new FlorenceError(
        "model_load",
        `${why}: ${what} of ${repo} (revision ${revision}, dtype ${describeDtypes(dtypes)}) is not in the cache at ${revisionDir}; ` +
          "drop --offline (and unset HF_HUB_OFFLINE) to download it, or pass a local model folder",
      );
    }
    return { ...base, source: "cache", commit: undefined, downloadedBytes: 0 };
  };
  if (options.offline) return fromCache("offline mode");

  const ctx: HubRequestContext = {
    token: options.token === "" ? undefined : options.token,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    endpoint: options.hubBaseUrl,
  };
  let listing: Awaited<ReturnType<typeof listRepoFiles>>;
  try {
    listing = await listRepoFiles(options.hubBaseUrl, repo, revision, ctx);
  } catch (e) {
    // The hub is unreachable: a complete cache still works, as with huggingface_hub.
    if (isFlorenceError(e) && e.kind === "download" && isTransient(e.cause)) {
      return fromCache("the hub could not be reached").catch(() => Promise.reject(e));
    }
    throw e;
  }
  const available = new Set(listing.files);
  const missing = wanted.filter((f) => f.required && !available.has(f.path)).map((f) => f.path);
  if (missing.length > 0) {
    const where = `hub repo ${repo}${revision === "main" ? "" : ` at revision ${revision}`}`;
    const noOnnx = !listing.files.some((f) => f.startsWith("onnx/"))
      ? "; it has no onnx/ folder: use an ONNX export such as florence-2-base"
      : "";
    throw new FlorenceError("model_load", `${missingMessage(where, missing, dtypes, available)}${noOnnx}`);
  }
  const graphs = Object.values(onnxFilePaths(dtypes));
  const paths = [
    ...wanted.filter((f) => available.has(f.path)).map((f) => f.path),
    ...graphs.flatMap((g) => externalDataFiles(g, available)),
  ];
  let downloadedBytes = 0;
  for (const [i, path] of paths.entries()) {
    const outcome = await downloadFile(
      { baseUrl: options.hubBaseUrl, repo, revision, path, revisionDir, fileIndex: i + 1, fileCount: paths.length },
      ctx,
      options.progress,
    );
    downloadedBytes += outcome.downloadedBytes;
  }
  return { ...base, source: "hub", commit: listing.commit, downloadedBytes };
}
