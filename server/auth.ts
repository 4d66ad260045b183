/**
 * Authentication of calls, in one place: a connect interceptor in front of every service.
 *
 * The rule: with a tokens file, every call must carry `authorization: Bearer <token>` with one of
 * its tokens, whatever the connection (with mutual TLS too, the call then needs both: the
 * certificate to connect, the token to call). With mutual TLS and no tokens file, the verified
 * client certificate stands in for a token: the TLS handshake already refused every client
 * without one. Health and reflection are open unless authHealth / authReflection close them. With
 * neither tokens nor a client CA configured, every call is let in.
 *
 * Tokens are kept only as SHA-256 digests; a presented token's digest is compared with every
 * stored digest with timingSafeEqual, all of them every time, so neither the answer nor its timing
 * tells which tokens exist. The caller's identity ("token#2", a token's name, or "cert:CN=...")
 * goes into the call's context values for the log line; the token itself never leaves this file.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Interceptor } from "@connectrpc/connect";
import { createContextKey } from "@connectrpc/connect";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { FlorenceError } from "../models/errors.js";
import { toConnectError } from "./errors.js";
import type { Logger } from "./logger.js";

/** Who made a call, for the log line ("token#1", "ci-runner", "cert:CN=svc"); unset without auth. */
export const callerKey = createContextKey<string | undefined>(undefined, { description: "authenticated caller" });

/** The verified client certificate's identity of the call's connection, set by server.ts. */
export const peerCertificateKey = createContextKey<string | undefined>(undefined, {
  description: "verified client certificate",
});

/** The one answer to a call without a valid credential: it says what to send, not what exists. */
export const UNAUTHENTICATED_MESSAGE =
  "this call needs a valid bearer token: send the header `authorization: Bearer <token>`";

/** RFC 6750 b64token: what a bearer token may consist of. */
const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Shorter tokens can be guessed; `openssl rand -hex 32` gives 64 characters. */
const MIN_TOKEN_LENGTH = 16;

export interface TokenEntry {
  /** The name from the file, or "token#<n>" (n counts tokens from 1) when the line has none. */
  readonly name: string;
  readonly digest: Buffer;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Parses a tokens file: one token per line, optionally `name:token`; `#` starts a comment line;
 * blank lines and surrounding spaces are ignored. Throws with the line number (never the line) for
 * a malformed or short token, a duplicate token or name, or a file without tokens.
 */
export function parseTokensFile(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  const digests = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `line ${i + 1}`;
    const colon = line.indexOf(":");
    const name = colon < 0 ? `token#${entries.length + 1}` : line.slice(0, colon).trim();
    const token = colon < 0 ? line : line.slice(colon + 1).trim();
    if (colon >= 0 && !NAME_PATTERN.test(name)) {
      throw new Error(
        `${where}: a token's name may hold letters, digits, '.', '_' and '-' (write "name:token" or just the token)`,
      );
    }
    if (!TOKEN_PATTERN.test(token)) {
      throw new Error(
        `${where}: a token may hold letters, digits and - . _ ~ + / (then '=' padding), no spaces or colons`,
      );
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new Error(
        `${where}: the token is shorter than ${MIN_TOKEN_LENGTH} characters; generate one with \`openssl rand -hex 32\``,
      );
    }
    const digest = sha256(token);
    const key = digest.toString("hex");
    if (digests.has(key)) throw new Error(`${where}: the same token appears twice`);
    if (names.has(name)) throw new Error(`${where}: the name ${JSON.stringify(name)} appears twice`);
    digests.add(key);
    names.add(name);
    entries.push({ name, digest });
  });
  if (entries.length === 0) throw new Error("the file holds no token; write one token per line");
  return entries;
}

/** Reads and parses the tokens file; errors name the option and flag, not the contents. */
function loadTokensFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    throw new Error(`authTokensFile (--auth-tokens-file): cannot read ${JSON.stringify(path)} (${code})`);
  }
  try {
    return parseTokensFile(text);
  } catch (e) {
    throw new Error(`authTokensFile (--auth-tokens-file) ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
}

/**
 * The name of the entry whose token is `presented`, or undefined. Compares fixed-length digests
 * in constant time and always visits every entry.
 */
export function matchToken(entries: readonly TokenEntry[], presented: string): string | undefined {
  const digest = sha256(presented);
  let found: string | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.name;
  }
  return found;
}

/** The token of an `authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

/** True for hosts only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  const octets = v4.split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * Why the server must not start as configured, or undefined: a host others can reach with neither
 * TLS nor tokens, unless `insecure` says the operator means it.
 */
export function insecureExposureProblem(setup: {
  readonly host: string;
  readonly tls: boolean;
  readonly tokens: boolean;
  readonly insecure: boolean;
}): string | undefined {
  if (setup.insecure || setup.tls || setup.tokens || isLoopbackHost(setup.host)) return undefined;
  return (
    `refusing to listen on ${setup.host} without TLS or tokens: anyone who can reach the port could use the model. ` +
    "Pass --tls-cert and --tls-key (and --tls-client-ca for client certificates) and/or --auth-tokens-file, " +
    "or --insecure if the network itself is trusted"
  );
}

export interface AuthSettings {
  /** The tokens file, re-read by reload(); undefined: no tokens. */
  readonly tokensFile: string | undefined;
  /** Verified client certificates let calls in (mutual TLS is on). */
  readonly clientCertificates: boolean;
  /** Health needs a credential too. */
  readonly authHealth: boolean;
  /** Reflection needs a credential too. */
  readonly authReflection: boolean;
}

/** Holds the current tokens; reload() swaps them only when the new file is good. */
export class Authenticator {
  readonly #settings: AuthSettings;
  #tokens: readonly TokenEntry[] | undefined;

  /** Throws (naming the option) when the tokens file is unusable. */
  constructor(settings: AuthSettings) {
    this.#settings = settings;
    this.#tokens = settings.tokensFile === undefined ? undefined : loadTokensFile(settings.tokensFile);
  }

  /** True when some call needs a credential. */
  get enabled(): boolean {
    return this.#tokens !== undefined || this.#settings.clientCertificates;
  }

  /** How many tokens are loaded (for the reload log line). */
  get tokenCount(): number {
    return this.#tokens?.length ?? 0;
  }

  /** Re-reads the tokens file. Throws (keeping the old tokens) when the new file is unusable. */
  reload(): void {
    if (this.#settings.tokensFile === undefined) return;
    this.#tokens = loadTokensFile(this.#settings.tokensFile);
  }

  #isOpen(typeName: string): boolean {
    if (typeName === Health.typeName) return !this.#settings.authHealth;
    if (typeName === ServerReflectionV1.typeName || typeName === ServerReflectionV1alpha.typeName)
      return !this.#settings.authReflection;
    return false;
  }

  /**
   * The caller's identity, "" for an open service called without credentials, or undefined when
   * the call must be refused.
   */
  identify(typeName: string, authorization: string | null, peerCertificate: string | undefined): string | undefined {
    if (this.#tokens !== undefined) {
      const token = bearerToken(authorization);
      const name = token === undefined ? undefined : matchToken(this.#tokens, token);
      if (name !== undefined) return name;
      return this.#isOpen(typeName) ? "" : undefined;
    }
    if (peerCertificate !== undefined) return peerCertificate;
    if (this.#isOpen(typeName) || !this.enabled) return "";
    return undefined;
  }

  /** The interceptor that refuses calls without a valid credential and records the caller. */
  interceptor(logger: Logger): Interceptor {
    return (next) => async (req) => {
      const caller = this.identify(
        req.service.typeName,
        req.header.get("authorization"),
        req.contextValues.get(peerCertificateKey),
      );
      if (caller === undefined) {
        logger({
          level: "warn",
          msg: "unauthenticated call refused",
          method: `${req.service.typeName}/${req.method.name}`,
        });
        throw toConnectError(new FlorenceError("unauthenticated", UNAUTHENTICATED_MESSAGE));
      }
      if (caller !== "") req.contextValues.set(callerKey, caller);
      return next(req);
    };
  }
}
