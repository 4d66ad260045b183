/**
 * A typed view of preprocessor_config.json's image fields. Only reads and type-checks them; the
 * preprocessing policy (which settings are supported) lives with the image code, which can parse
 * `raw` itself.
 */
import type { FieldScope, JsonObject } from "./json-fields.js";
import { fieldError, numberTuple, optionalInt, optionalNumber, requiredObject } from "./json-fields.js";

export type Vec3 = readonly [number, number, number];

export interface PreprocessorConfig {
  /** Input size of the vision encoder (768×768 in every released checkpoint). */
  readonly size: { readonly width: number; readonly height: number };
  /** PIL resample code; 3 = bicubic (the default, and what Florence-2 uses). */
  readonly resample: number;
  /** Pixel scale before normalizing. Default 1/255. */
  readonly rescaleFactor: number;
  readonly imageMean: Vec3;
  readonly imageStd: Vec3;
  /** Image tokens the vision encoder emits (577 = 1 + 24²); undefined when the file omits it. */
  readonly imageSeqLength: number | undefined;
  /** The whole parsed file, for parsers that need more fields (task tables, flags). */
  readonly raw: JsonObject;
}

export const PREPROCESSOR_CONFIG_FILE = "preprocessor_config.json";

export function parsePreprocessorConfig(json: JsonObject): PreprocessorConfig {
  const scope: FieldScope = { file: PREPROCESSOR_CONFIG_FILE, prefix: "" };
  const sizeObj = requiredObject(json, "size", scope);
  const sizeScope: FieldScope = { file: PREPROCESSOR_CONFIG_FILE, prefix: "size" };
  const rescaleFactor = optionalNumber(json, "rescale_factor", scope) ?? 1 / 255;
  if (rescaleFactor <= 0) throw fieldError(scope, "rescale_factor", `must be positive, got ${rescaleFactor}`);
  const [m0, m1, m2] = numberTuple(json, "image_mean", scope, 3) as [number, number, number];
  const [s0, s1, s2] = numberTuple(json, "image_std", scope, 3, true) as [number, number, number];
  return {
    size: {
      width: requiredPositive(sizeObj, "width", sizeScope),
      height: requiredPositive(sizeObj, "height", sizeScope),
    },
    resample: optionalInt(json, "resample", scope) ?? 3,
    rescaleFactor,
    imageMean: [m0, m1, m2],
    imageStd: [s0, s1, s2],
    imageSeqLength: optionalInt(json, "image_seq_length", scope, 1),
    raw: json,
  };
}

function requiredPositive(obj: JsonObject, key: string, scope: FieldScope): number {
  const v = optionalInt(obj, key, scope, 1);
  if (v === undefined) throw fieldError(scope, key, "is missing");
  return v;
}
