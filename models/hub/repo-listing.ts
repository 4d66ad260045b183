/** The file listing of one hub revision (model-info API), to check a repo before downloading from it. */
import { FlorenceError } from "../errors.js";
import type { HubRequestContext } from "./http.js";
import { authHeaders, createIdleTimer, errorForStatus, withRetries } from "./http.js";
import { repoInfoUrl } from "./url.js";

export interface RepoListing {
  /** The commit the revision points at, when the hub said. */
  readonly commit: string | undefined;
  /** Repo-relative paths of every file in the revision. */
  readonly files: readonly string[];
}

/** Reads `siblings[].rfilename` and `sha` from the model-info JSON; anything else is ignored. */
export function parseRepoListing(body: unknown, repo: string): RepoListing {
  const siblings = (body as { siblings?: unknown } | null)?.siblings;
  if (!Array.isArray(siblings)) {
    throw new FlorenceError(
      "download",
      `the hub's file list for ${repo} has no "siblings" array; is HF_ENDPOINT a Hugging Face hub?`,
    );
  }
  const files = siblings
    .map((s: unknown) => (s as { rfilename?: unknown } | null)?.rfilename)
    .filter((f): f is string => typeof f === "string");
  const sha = (body as { sha?: unknown }).sha;
  return { commit: typeof sha === "string" ? sha : undefined, files };
}

export async function listRepoFiles(
  baseUrl: string,
  repo: string,
  revision: string,
  ctx: HubRequestContext,
): Promise<RepoListing> {
  const target = { repo, revision, path: undefined };
  return withRetries(ctx, target, async () => {
    const idle = createIdleTimer(ctx.timeoutMs, ctx.signal);
    try {
      const res = await fetch(repoInfoUrl(baseUrl, repo, revision), {
        headers: { accept: "application/json", ...authHeaders(ctx.token) },
        signal: idle.signal,
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw errorForStatus(res, target, ctx.token);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch (e) {
        if (idle.signal.aborted) throw e;
        throw new FlorenceError(
          "download",
          `the hub's file list for ${repo} is not valid JSON; is HF_ENDPOINT a Hugging Face hub?`,
          { cause: e },
        );
      }
      return parseRepoListing(body, repo);
    } finally {
      idle.clear();
    }
  });
}
