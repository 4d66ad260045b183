/**
 * Downloads one hub file into the cache: through a `.part` file, resumable with HTTP Range,
 * verified against the sha256 the hub publishes for LFS files, renamed into place atomically, and
 * skipped when the cached copy still has the hub's etag.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FlorenceError, isFlorenceError } from "../errors.js";
import type { HubRequestContext, HubTarget } from "./http.js";
import { authHeaders, createIdleTimer, errorForStatus, isTransient, TransientError, withRetries } from "./http.js";
import type { ProgressCallback } from "./progress.js";
import { cacheMetaPath, isCommitHash, resolveUrl } from "./url.js";

export interface DownloadRequest {
  readonly baseUrl: string;
  readonly repo: string;
  readonly revision: string;
  /** Repo-relative path, e.g. "onnx/encoder_model.onnx". */
  readonly path: string;
  /** The cache folder of this repo revision; the file lands at `{revisionDir}/{path}`. */
  readonly revisionDir: string;
  /** For progress events: 1-based position among the files being fetched, and their count. */
  readonly fileIndex: number;
  readonly fileCount: number;
}

export interface DownloadOutcome {
  readonly localPath: string;
  /** Bytes transferred by this call (0 when the cache was used). */
  readonly downloadedBytes: number;
  /** True when the cached copy was used without transferring the file. */
  readonly fromCache: boolean;
}

/** What the hub said about a file before downloading it. */
export interface RemoteFileInfo {
  /** X-Linked-Etag (LFS: the sha256) or ETag, unquoted. */
  readonly etag: string | undefined;
  readonly size: number | undefined;
}

/** Kept as `.florence2-meta/{path}.json` next to a completed file. */
export interface CachedFileMeta {
  readonly etag: string | undefined;
  readonly size: number;
  readonly sha256: string;
}

/** Strips `W/` and quotes; the hub's LFS etags are the file's sha256 in hex. */
export function normalizeEtag(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  const value = raw.replace(/^W\//, "").replace(/^"|"$/g, "");
  return value === "" ? undefined : value;
}

/** The sha256 an etag promises, or undefined when it is not a 64-hex sha256 (git blob sha1s, CDN etags). */
export function sha256FromEtag(etag: string | undefined): string | undefined {
  return etag !== undefined && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined;
}

function parseSize(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * HEAD without following redirects: for LFS files the hub answers 302 to a CDN and puts the sha256
 * and size in X-Linked-Etag / X-Linked-Size, which the CDN's own response lacks. Relative redirects
 * (renamed repos) are followed.
 */
async function headFile(url: string, target: HubTarget, ctx: HubRequestContext): Promise<RemoteFileInfo> {
  let current = url;
  for (let hop = 0; hop < 5; hop++) {
    const idle = createIdleTimer(ctx.timeoutMs, ctx.signal);
    try {
      const res = await fetch(current, {
        method: "HEAD",
        redirect: "manual",
        headers: { "accept-encoding": "identity", ...authHeaders(ctx.token) },
        signal: idle.signal,
      });
      const linkedEtag = normalizeEtag(res.headers.get("x-linked-etag"));
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && linkedEtag === undefined && location?.startsWith("/") === true) {
        current = new URL(location, current).href;
        continue;
      }
      if (res.status >= 400) throw errorForStatus(res, target, ctx.token);
      return {
        etag: linkedEtag ?? normalizeEtag(res.headers.get("etag")),
        size:
          parseSize(res.headers.get("x-linked-size")) ??
          (res.status < 300 ? parseSize(res.headers.get("content-length")) : undefined),
      };
    } finally {
      idle.clear();
    }
  }
  throw new FlorenceError("download", `too many redirects for ${url}`);
}

async function readMeta(path: string): Promise<CachedFileMeta | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as CachedFileMeta;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** The completed cached file's metadata, when the file is there with the recorded size. */
export async function readCachedFile(revisionDir: string, path: string): Promise<CachedFileMeta | undefined> {
  const meta = await readMeta(cacheMetaPath(revisionDir, path));
  if (meta === undefined) return undefined;
  return (await fileSize(join(revisionDir, path))) === meta.size ? meta : undefined;
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function hashExisting(path: string): Promise<string> {
  const hash = createHash("sha256");
  await hashFile(path, hash);
  return hash.digest("hex");
}

interface PartResult {
  readonly sha256: string;
  readonly size: number;
  readonly transferred: number;
}

/** One GET attempt: continues `partPath` from its current size (206) or restarts it (200). */
// One function on purpose: the request, the resume check, the hashing stream to disk and its idle
// timeout share one attempt's state, and each step's failure decides whether the next attempt resumes.
async function fetchIntoPart(
  url: string,
  partPath: string,
  remote: RemoteFileInfo,
  req: DownloadRequest,
  ctx: HubRequestContext,
  progress: ProgressCallback | undefined,
): Promise<PartResult> {
  const target: HubTarget = { repo: req.repo, revision: req.revision, path: req.path };
  let offset = (await fileSize(partPath)) ?? 0;
  if (remote.size !== undefined && offset > remote.size) {
    await rm(partPath, { force: true });
    offset = 0;
  }
  if (remote.size !== undefined && offset === remote.size) {
    // Complete already (interrupted between the last byte and the rename): just hash it.
    return { sha256: await hashExisting(partPath), size: offset, transferred: 0 };
  }

  const idle = createIdleTimer(ctx.timeoutMs, ctx.signal);
  try {
    const headers = {
      "accept-encoding": "identity",
      ...authHeaders(ctx.token),
      ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
    };
    const res = await fetch(url, { headers, signal: idle.signal });
    if (res.status === 416) {
      await res.body?.cancel();
      await rm(partPath, { force: true });
      throw new TransientError(`the hub refused to resume ${req.path} at byte ${offset}; restarting it`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw errorForStatus(res, target, ctx.token);
    }
    // 206 continues the part; 200 (a server that ignores Range) sends the whole file again.
    let start = 0;
    if (res.status === 206) {
      start = Number(/^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
      if (start !== offset) {
        await res.body?.cancel();
        await rm(partPath, { force: true });
        throw new TransientError(`the hub resumed ${req.path} at the wrong offset; restarting it`);
      }
    }
    const hash = createHash("sha256");
    if (start > 0) {
      await hashFile(partPath, hash);
      idle.touch();
    }
    const total = remote.size ?? (res.status === 200 ? parseSize(res.headers.get("content-length")) : undefined);
    const fh = await open(partPath, start === 0 ? "w" : "a");
    let bytes = start;
    try {
      const reader = res.body?.getReader();
      for (let next = await reader?.read(); next !== undefined && !next.done; next = await reader?.read()) {
        idle.touch();
        await fh.write(next.value);
        hash.update(next.value);
        bytes += next.value.byteLength;
        progress?.({
          file: req.path,
          bytes,
          total,
          resumedFrom: start,
          fileIndex: req.fileIndex,
          fileCount: req.fileCount,
          done: false,
        });
      }
    } finally {
      await fh.close();
    }
    if (total !== undefined && bytes !== total)
      throw new TransientError(`the connection closed after ${bytes} of ${total} bytes of ${req.path}`);
    return { sha256: hash.digest("hex"), size: bytes, transferred: bytes - start };
  } finally {
    idle.clear();
  }
}

/**
 * Makes `{revisionDir}/{path}` a complete, verified copy of the hub file and returns where it is.
 * Reuses the cached copy when its etag still matches (or the revision is a commit hash), and falls
 * back to it when the hub cannot be reached.
 */
export async function downloadFile(
  req: DownloadRequest,
  ctx: HubRequestContext,
  progress?: ProgressCallback,
): Promise<DownloadOutcome> {
  const localPath = join(req.revisionDir, req.path);
  const metaPath = cacheMetaPath(req.revisionDir, req.path);
  const target: HubTarget = { repo: req.repo, revision: req.revision, path: req.path };
  const url = resolveUrl(req.baseUrl, req.repo, req.revision, req.path);
  const cached = await readCachedFile(req.revisionDir, req.path);
  const reuse = (): DownloadOutcome => {
    progress?.({
      file: req.path,
      bytes: cached?.size ?? 0,
      total: cached?.size,
      resumedFrom: cached?.size ?? 0,
      fileIndex: req.fileIndex,
      fileCount: req.fileCount,
      done: true,
    });
    return { localPath, downloadedBytes: 0, fromCache: true };
  };
  if (cached !== undefined && isCommitHash(req.revision)) return reuse();

  let remote: RemoteFileInfo;
  try {
    remote = await withRetries(ctx, target, () => headFile(url, target, ctx));
  } catch (e) {
    // Offline-ish: the hub is unreachable but we have a complete copy.
    if (cached !== undefined && isFlorenceError(e) && e.kind === "download" && isTransient(e.cause)) return reuse();
    throw e;
  }
  if (cached !== undefined && remote.etag !== undefined && cached.etag === remote.etag) return reuse();

  const partPath = `${localPath}.part`;
  const partMetaPath = `${metaPath}.part`;
  await mkdir(dirname(localPath), { recursive: true });
  await mkdir(dirname(metaPath), { recursive: true });
  // A .part from another version of the file cannot be resumed.
  const partMeta = await readMeta(partMetaPath);
  if (partMeta?.etag !== remote.etag) await rm(partPath, { force: true });
  await writeFile(
    partMetaPath,
    JSON.stringify({ etag: remote.etag, size: remote.size ?? 0, sha256: "" } satisfies CachedFileMeta),
  );

  let transferred = 0;
  const result = await withRetries(ctx, target, async () => {
    const r = await fetchIntoPart(url, partPath, remote, req, ctx, progress);
    transferred += r.transferred;
    return r;
  });
  const expected = sha256FromEtag(remote.etag);
  if (expected !== undefined && expected !== result.sha256) {
    await rm(partPath, { force: true });
    await rm(partMetaPath, { force: true });
    throw new FlorenceError(
      "download",
      `${req.path} of ${req.repo} failed its checksum: expected sha256 ${expected}, got ${result.sha256}. The corrupt download was deleted; run again to fetch it anew`,
    );
  }
  await rename(partPath, localPath);
  await writeFile(
    metaPath,
    JSON.stringify({ etag: remote.etag, size: result.size, sha256: result.sha256 } satisfies CachedFileMeta),
  );
  await rm(partMetaPath, { force: true });
  progress?.({
    file: req.path,
    bytes: result.size,
    total: result.size,
    resumedFrom: result.size - transferred,
    fileIndex: req.fileIndex,
    fileCount: req.fileCount,
    done: true,
  });
  return { localPath, downloadedBytes: transferred, fromCache: false };
}
