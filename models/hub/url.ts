/** URLs of the Hugging Face hub and where hub files live in the local cache. */
import { join } from "node:path";

/** "owner/name": letters, digits, "-", "_", "." in each part (the hub's own rule, simplified). */
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes("..");
}

/** A revision that is a full commit hash never changes, so its cached files need no re-check. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

function trimBase(base: string): string {
  return base.replace(/\/+$/, "");
}

/** `{base}/{repo}/resolve/{revision}/{path}`; the revision is encoded whole ("refs/pr/1" → "refs%2Fpr%2F1"), like huggingface_hub. */
export function resolveUrl(base: string, repo: string, revision: string, path: string): string {
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  return `${trimBase(base)}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

/** The model-info API, whose `siblings` list every file of the revision. */
export function repoInfoUrl(base: string, repo: string, revision: string): string {
  return `${trimBase(base)}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

/** `{cacheDir}/{owner}--{name}/{revision}`: the folder that becomes the model folder once complete. */
export function cacheRevisionDir(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, repo.replace("/", "--"), encodeURIComponent(revision));
}

/** Where the small per-file metadata (etag, size, sha256) of a cached file is kept. */
export function cacheMetaPath(revisionDir: string, path: string): string {
  return join(revisionDir, ".florence2-meta", `${path}.json`);
}
