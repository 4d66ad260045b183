/** Parsing of the CLI's flag values into typed options, shared by cli/main.ts and cli/server-flags.ts; pure functions. */
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
    throw new UsageError(
      `--region ${value} must be four numbers x1,y1,x2,y2 in image pixels, e.g. --region 10,20,300,240`,
    );
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
