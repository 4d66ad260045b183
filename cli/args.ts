/** Parsing of the CLI's flags into typed options; pure, so it is unit-tested. */
import { parseArgs } from "node:util";
import type { ModelDtype, ExecutionProviderName } from "../models/engine.js";
import type { Region } from "../models/inputs.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const DTYPES: readonly ModelDtype[] = ["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"];
const DEVICES: readonly ExecutionProviderName[] = ["cpu", "cuda", "webgpu"];

export function parseDtype(value: string | undefined): ModelDtype | undefined {
  if (value === undefined) return undefined;
  if ((DTYPES as readonly string[]).includes(value)) return value as ModelDtype;
  throw new UsageError(`--dtype ${value} is not a model precision; use one of ${DTYPES.join(", ")}`);
}

export function parseDevice(value: string | undefined): ExecutionProviderName | undefined {
  if (value === undefined) return undefined;
  if ((DEVICES as readonly string[]).includes(value)) return value as ExecutionProviderName;
  throw new UsageError(`--device ${value} is not supported; use one of ${DEVICES.join(", ")}`);
}

export function parseRegion(value: string | undefined): Region | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
    throw new UsageError(`--region ${value} must be four numbers x1,y1,x2,y2 in image pixels, e.g. --region 10,20,300,240`);
  }
  return [parts[0]!, parts[1]!, parts[2]!, parts[3]!];
}

export function parsePositiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${value} must be a whole number >= 1`);
  return n;
}

/** A whole number >= 0 (0 is meaningful: no delay, no cache). */
export function parseCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${value} must be a whole number >= 0`);
  return n;
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port ${value} must be 0..65535`);
  return n;
}

/** Flags shared by the subcommands that load a model. */
export const modelFlags = {
  model: { type: "string" },
  dtype: { type: "string" },
  device: { type: "string" },
  offline: { type: "boolean" },
  "cache-dir": { type: "string" },
  revision: { type: "string" },
  threads: { type: "string" },
  workers: { type: "string" },
  "max-batch-size": { type: "string" },
  "max-delay-ms": { type: "string" },
  "vision-cache-mb": { type: "string" },
} as const;

export const runFlags = {
  ...modelFlags,
  task: { type: "string" },
  image: { type: "string", multiple: true },
  text: { type: "string" },
  region: { type: "string" },
  "num-beams": { type: "string" },
  "max-new-tokens": { type: "string" },
} as const;

export function parseRunArgs(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: runFlags, allowPositionals: false, strict: true }).values;
}

/** The environment variable of a flag: --tls-cert -> FLORENCE2_TLS_CERT. */
export function envName(flag: string): string {
  return `FLORENCE2_${flag.replace(/^-+/, "").toUpperCase().replaceAll("-", "_")}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A string flag's value, else its environment variable's (empty counts as unset). */
export function stringFlag(values: Readonly<Record<string, unknown>>, flag: string, env: Env): string | undefined {
  const value = values[flag];
  if (typeof value === "string") return value;
  const fromEnv = env[envName(flag)];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** A boolean flag, else its environment variable: 1/true/yes or 0/false/no. */
export function booleanFlag(values: Readonly<Record<string, unknown>>, flag: string, env: Env): boolean | undefined {
  if (values[flag] === true) return true;
  const fromEnv = env[envName(flag)]?.trim().toLowerCase();
  if (fromEnv === undefined || fromEnv === "") return undefined;
  if (["1", "true", "yes"].includes(fromEnv)) return true;
  if (["0", "false", "no"].includes(fromEnv)) return false;
  throw new UsageError(`${envName(flag)}=${fromEnv} must be 1/true/yes or 0/false/no`);
}

/** `serve` flags for TLS, authentication and connection limits; each also reads FLORENCE2_<FLAG>. */
export const transportFlags = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-client-ca": { type: "string" },
  "auth-tokens-file": { type: "string" },
  "auth-health": { type: "boolean" },
  "auth-reflection": { type: "boolean" },
  insecure: { type: "boolean" },
  "max-connections": { type: "string" },
  "headers-timeout-ms": { type: "string" },
  "request-timeout-ms": { type: "string" },
  "idle-connection-timeout-ms": { type: "string" },
  "max-streams-per-connection": { type: "string" },
  "keepalive-min-interval-ms": { type: "string" },
} as const;

/** What the transport flags set: server options (only those given) and --insecure. */
export interface TransportSettings {
  readonly options: {
    tlsCertFile?: string;
    tlsKeyFile?: string;
    tlsClientCaFile?: string;
    authTokensFile?: string;
    authHealth?: boolean;
    authReflection?: boolean;
    maxConnections?: number;
    headersTimeoutMs?: number;
    requestTimeoutMs?: number;
    idleConnectionTimeoutMs?: number;
    maxStreamsPerConnection?: number;
    keepaliveMinIntervalMs?: number;
  };
  readonly insecure: boolean;
}

export function parseTransportFlags(values: Readonly<Record<string, unknown>>, env: Env): TransportSettings {
  const options: TransportSettings["options"] = {};
  const strings = { "tls-cert": "tlsCertFile", "tls-key": "tlsKeyFile", "tls-client-ca": "tlsClientCaFile", "auth-tokens-file": "authTokensFile" } as const;
  for (const [flag, key] of Object.entries(strings) as [keyof typeof strings, (typeof strings)[keyof typeof strings]][]) {
    const value = stringFlag(values, flag, env);
    if (value !== undefined) options[key] = value;
  }
  const booleans = { "auth-health": "authHealth", "auth-reflection": "authReflection" } as const;
  for (const [flag, key] of Object.entries(booleans) as [keyof typeof booleans, (typeof booleans)[keyof typeof booleans]][]) {
    const value = booleanFlag(values, flag, env);
    if (value !== undefined) options[key] = value;
  }
  const counts = {
    "max-connections": "maxConnections",
    "headers-timeout-ms": "headersTimeoutMs",
    "request-timeout-ms": "requestTimeoutMs",
    "idle-connection-timeout-ms": "idleConnectionTimeoutMs",
    "max-streams-per-connection": "maxStreamsPerConnection",
  } as const;
  for (const [flag, key] of Object.entries(counts) as [keyof typeof counts, (typeof counts)[keyof typeof counts]][]) {
    const value = parsePositiveInt(`--${flag}`, stringFlag(values, flag, env));
    if (value !== undefined) options[key] = value;
  }
  const keepalive = parseCount("--keepalive-min-interval-ms", stringFlag(values, "keepalive-min-interval-ms", env));
  if (keepalive !== undefined) options.keepaliveMinIntervalMs = keepalive;
  return { options, insecure: booleanFlag(values, "insecure", env) ?? false };
}

/** `serve` flags for stream time limits; each also reads FLORENCE2_<FLAG>. */
export const streamFlags = {
  "stream-config-timeout-ms": { type: "string" },
  "stream-idle-timeout-ms": { type: "string" },
} as const;

/** What the stream flags set: server options (only those given). */
export function parseStreamFlags(
  values: Readonly<Record<string, unknown>>,
  env: Env,
): { streamConfigTimeoutMs?: number; streamIdleTimeoutMs?: number } {
  const config = parsePositiveInt("--stream-config-timeout-ms", stringFlag(values, "stream-config-timeout-ms", env));
  const idle = parsePositiveInt("--stream-idle-timeout-ms", stringFlag(values, "stream-idle-timeout-ms", env));
  return {
    ...(config !== undefined ? { streamConfigTimeoutMs: config } : {}),
    ...(idle !== undefined ? { streamIdleTimeoutMs: idle } : {}),
  };
}

/** `serve` flags for the model work one request may ask for; each also reads FLORENCE2_<FLAG>. */
export const modelLimitFlags = {
  "max-request-megapixels": { type: "string" },
} as const;

/** What the model-limit flags set: server options (only those given). */
export function parseModelLimitFlags(values: Readonly<Record<string, unknown>>, env: Env): { maxRequestMegapixels?: number } {
  const megapixels = parsePositiveInt("--max-request-megapixels", stringFlag(values, "max-request-megapixels", env));
  return megapixels !== undefined ? { maxRequestMegapixels: megapixels } : {};
}
