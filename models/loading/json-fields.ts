/**
 * Typed reads of fields from the model's JSON files. Every failure is a FlorenceError("model_load")
 * naming the file and the dotted field path, so a broken or foreign config is fixable from the message.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FlorenceError } from "../errors.js";

export type JsonObject = Readonly<Record<string, unknown>>;

/** Where an object came from: the file, and the path of the object inside it ("" = top level). */
export interface FieldScope {
  readonly file: string;
  readonly prefix: string;
}

function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fieldName(scope: FieldScope, key: string): string {
  return scope.prefix === "" ? key : `${scope.prefix}.${key}`;
}

export function fieldError(scope: FieldScope, key: string, problem: string): FlorenceError {
  return new FlorenceError("model_load", `${scope.file}: field "${fieldName(scope, key)}" ${problem}`);
}

/**
 * Reads and parses `{dir}/{file}`. A missing optional file gives undefined; a missing required file,
 * invalid JSON or a non-object fails.
 */
export async function readJsonFile(dir: string, file: string, required: true): Promise<JsonObject>;
export async function readJsonFile(dir: string, file: string, required: false): Promise<JsonObject | undefined>;
export async function readJsonFile(dir: string, file: string, required: boolean): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, file), "utf8");
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT" && !required) return undefined;
    throw new FlorenceError("model_load", `model folder ${dir}: cannot read ${file} (${(e as Error).message})`, {
      cause: e,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FlorenceError("model_load", `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isJsonObject(value))
    throw new FlorenceError(
      "model_load",
      `${file} must hold a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  return value;
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A non-negative (or, with `min`, larger) integer; undefined when absent or null. */
export function optionalInt(obj: JsonObject, key: string, scope: FieldScope, min = 0): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
    throw fieldError(scope, key, `must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

export function requiredInt(obj: JsonObject, key: string, scope: FieldScope, min = 1): number {
  const v = optionalInt(obj, key, scope, min);
  if (v === undefined) throw fieldError(scope, key, "is missing");
  return v;
}

export function optionalNumber(obj: JsonObject, key: string, scope: FieldScope): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw fieldError(scope, key, `must be a number, got ${show(v)}`);
  return v;
}

export function optionalBool(obj: JsonObject, key: string, scope: FieldScope): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw fieldError(scope, key, `must be true or false, got ${show(v)}`);
  return v;
}

export function optionalString(obj: JsonObject, key: string, scope: FieldScope): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw fieldError(scope, key, `must be a string, got ${show(v)}`);
  return v;
}

export function requiredObject(obj: JsonObject, key: string, scope: FieldScope): JsonObject {
  const v = obj[key];
  if (v === undefined || v === null) throw fieldError(scope, key, "is missing");
  if (!isJsonObject(v)) throw fieldError(scope, key, `must be an object, got ${show(v)}`);
  return v;
}

/** Exactly `length` finite numbers (positive ones when `positive`). */
export function numberTuple(
  obj: JsonObject,
  key: string,
  scope: FieldScope,
  length: number,
  positive = false,
): number[] {
  const v = obj[key];
  if (v === undefined || v === null) throw fieldError(scope, key, "is missing");
  const ok =
    Array.isArray(v) &&
    v.length === length &&
    v.every((x) => typeof x === "number" && Number.isFinite(x) && (!positive || x > 0));
  if (!ok)
    throw fieldError(scope, key, `must be an array of ${length} ${positive ? "positive " : ""}numbers, got ${show(v)}`);
  return v as number[];
}
