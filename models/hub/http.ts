/**
 * HTTP to the hub: retries with exponential backoff for transient failures (network errors, idle
 * timeouts, 429, 5xx) and one place that turns HTTP statuses into FlorenceErrors that say what to do.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FlorenceError } from "../errors.js";

export interface HubRequestContext {
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token: string | undefined;
  /** Extra attempts after the first for transient failures. */
  readonly retries: number;
  /** Delay before the first retry; doubles on each further retry (capped at 30 s). */
  readonly retryDelayMs: number;
  /** A request fails (and is retried) when no response or body bytes arrive for this long. */
  readonly timeoutMs: number;
  /** Cancels everything: requests, body reads and backoff waits. */
  readonly signal: AbortSignal | undefined;
  /** The hub's base URL, named in network errors (its origin only: no path, no credentials). */
  readonly endpoint?: string | undefined;
}

/** What a request is for, so messages name the repo, revision and file. */
export interface HubTarget {
  readonly repo: string;
  readonly revision: string;
  /** Repo-relative file; undefined for the repo-info request. */
  readonly path: string | undefined;
}

/** A failure worth retrying; never escapes this module's retry loop except as a FlorenceError. */
export class TransientError extends Error {
  override readonly name = "TransientError";
}

/** Raised by the idle timer: no bytes for `timeoutMs`. */
export class IdleTimeoutError extends TransientError {}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** undici reports network failures as TypeError("fetch failed" | "terminated") with the socket error as cause. */
export function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  if (e instanceof TypeError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && NETWORK_CODES.has(code);
}

/** The innermost useful message of a network error (undici hides it in `cause`). */
export function describeCause(e: unknown): string {
  let current: unknown = e;
  let text = "";
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    text = current.message;
    current = current.cause;
  }
  return text || String(e);
}

/** "the hub at https://huggingface.co": the endpoint's origin, so neither a path nor credentials are shown. */
export function describeEndpoint(endpoint: string | undefined): string {
  if (endpoint === undefined) return "the hub";
  try {
    return `the hub at ${new URL(endpoint).origin}`;
  } catch {
    return "the hub (HF_ENDPOINT is not a URL)";
  }
}

export function describeTarget(t: HubTarget): string {
  const at = t.revision === "main" ? "" : ` at revision ${t.revision}`;
  return t.path === undefined ? `${t.repo}${at}` : `${t.path} of ${t.repo}${at}`;
}

/** An AbortSignal that fires when `touch()` is not called for `ms`; each attempt gets its own. */
export interface IdleTimer {
  readonly signal: AbortSignal;
  touch(): void;
  clear(): void;
}

export function createIdleTimer(ms: number, outer: AbortSignal | undefined): IdleTimer {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new IdleTimeoutError(`no data received for ${ms / 1000} s`)), ms);
  };
  touch();
  const signal = outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]);
  return { signal, touch, clear: () => clearTimeout(timer) };
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined || token === "" ? {} : { authorization: `Bearer ${token}` };
}

/**
 * The error for a non-2xx response: 401/403/404 become final FlorenceErrors that say what to do;
 * 408, 429 and 5xx become TransientErrors for the retry loop.
 */
export function errorForStatus(res: Response, target: HubTarget, token: string | undefined): Error {
  const what = describeTarget(target);
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  const code = res.headers.get("x-error-code");
  // The hub answers 401 (not 404) for a repo that does not exist when no token is sent, to not reveal private repos.
  if ((res.status === 401 || res.status === 404) && code === "RepositoryNotFound") {
    const hint =
      token === undefined
        ? "check the id, or pass a token (the HF_TOKEN environment variable) if it is private"
        : "check the id, and that the token (HF_TOKEN) can read it";
    return new FlorenceError(
      "model_load",
      `repository ${target.repo} was not found on the hub (${res.status}); ${hint}`,
    );
  }
  if (res.status === 401) {
    const hint =
      token === undefined
        ? "the repository is private or gated: set the HF_TOKEN environment variable to a hub access token (in code, the `token` option)"
        : "the hub rejected the token: check that HF_TOKEN (or the `token` option) is a valid, unexpired access token";
    return new FlorenceError("download", `hub answered ${status} for ${what}; ${hint}`);
  }
  if (res.status === 403) {
    return new FlorenceError(
      "download",
      `hub answered ${status} for ${what}; the token has no access to ${target.repo}: for a gated model accept its terms on the hub, and use a token with read access`,
    );
  }
  if (res.status === 404) {
    if (code === "RevisionNotFound") {
      return new FlorenceError(
        "model_load",
        `revision ${target.revision} of ${target.repo} was not found on the hub (404); check --revision`,
      );
    }
    return new FlorenceError("model_load", `${what} was not found on the hub (404)`);
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    return new TransientError(`hub answered ${status} for ${what}`);
  }
  return new FlorenceError("download", `hub answered ${status} for ${what}`);
}

function abortError(signal: AbortSignal, target: HubTarget): FlorenceError {
  return new FlorenceError("cancelled", `loading ${describeTarget(target)} was cancelled`, { cause: signal.reason });
}

/**
 * Runs `attempt` until it succeeds, a non-transient error happens, or the retries are used up;
 * every failure leaves as a FlorenceError. `attempt` gets the 0-based attempt number.
 */
export async function withRetries<T>(
  ctx: HubRequestContext,
  target: HubTarget,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (ctx.signal?.aborted === true) throw abortError(ctx.signal, target);
      if (e instanceof FlorenceError) throw e;
      if (!isTransient(e))
        throw new FlorenceError("internal", `unexpected failure while loading ${describeTarget(target)}`, { cause: e });
      if (n >= ctx.retries) {
        throw new FlorenceError(
          "download",
          `fetching ${describeTarget(target)} failed after ${n + 1} attempt(s): ${describeCause(e)}. ` +
            `Check that ${describeEndpoint(ctx.endpoint)} can be reached from here (HF_ENDPOINT sets another address; ` +
            "--offline uses the cache only); a partly downloaded file is kept and the next run resumes it",
          { cause: e },
        );
      }
      const delay = Math.min(30_000, ctx.retryDelayMs * 2 ** n);
      try {
        await sleep(delay, undefined, ctx.signal === undefined ? {} : { signal: ctx.signal });
      } catch {
        throw abortError(ctx.signal ?? AbortSignal.abort(), target);
      }
    }
  }
}
