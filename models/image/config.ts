/**
 * The image fields of preprocessor_config.json (CLIPImageProcessor), parsed into a typed config.
 * Only what Florence-2 checkpoints use is supported; anything else fails the model load with a
 * message naming the file and the field, instead of silently preprocessing differently.
 */
import { FlorenceError } from "../errors.js";
import type { NormalizeConfig, Vec3 } from "./normalize.js";

export type ImagePreprocessConfig = NormalizeConfig;

/** PIL's resample code for bicubic (the only filter implemented, see resize.ts). */
const PIL_BICUBIC = 3;

/** The values every Microsoft and onnx-community Florence-2 repo ships
 * (docs/florence2-contract.md#56-configuration-fields). */
export const florenceImageConfig: Readonly<ImagePreprocessConfig> = {
  size: { width: 768, height: 768 },
  rescaleFactor: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

type Json = Readonly<Record<string, unknown>>;

function fail(file: string, message: string): never {
  throw new FlorenceError("model_load", `${file}: ${message}`);
}

function flag(cfg: Json, key: string, fallback: boolean, file: string): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") fail(file, `"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function positiveNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

function vec3(cfg: Json, key: string, file: string, positive: boolean): Vec3 {
  const v = cfg[key];
  const ok =
    Array.isArray(v) &&
    v.length === 3 &&
    v.every((x) => typeof x === "number" && Number.isFinite(x) && (!positive || x > 0));
  if (!ok) fail(file, `"${key}" must be an array of 3 ${positive ? "positive " : ""}numbers, got ${JSON.stringify(v)}`);
  return [v[0], v[1], v[2]];
}

function targetSize(cfg: Json, file: string): { width: number; height: number } {
  const size = cfg.size as { width?: unknown; height?: unknown } | undefined;
  const { width, height } = size ?? {};
  if (
    !Number.isSafeInteger(width) ||
    !Number.isSafeInteger(height) ||
    (width as number) <= 0 ||
    (height as number) <= 0
  ) {
    fail(file, `"size" must be {"height": H, "width": W} with positive integers, got ${JSON.stringify(cfg.size)}`);
  }
  return { width: width as number, height: height as number };
}

/**
 * Parses the parsed JSON of preprocessor_config.json. `file` names the file in error messages.
 * Defaults follow CLIPImageProcessor: do_rescale true with rescale_factor 1/255, do_normalize true,
 * resample 3 (bicubic). Throws FlorenceError("model_load") for unsupported settings.
 */
export function parseImagePreprocessConfig(json: unknown, file: string): ImagePreprocessConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail(file, "expected a JSON object");
  const cfg = json as Json;
  if (!flag(cfg, "do_resize", true, file))
    fail(file, '"do_resize": false is not supported; Florence-2 needs a fixed input size');
  const size = targetSize(cfg, file);
  const resample = cfg.resample ?? PIL_BICUBIC;
  if (resample !== PIL_BICUBIC) fail(file, `"resample" ${JSON.stringify(resample)} is not supported; only 3 (bicubic)`);
  if (flag(cfg, "do_center_crop", false, file)) {
    const crop = cfg.crop_size as { width?: unknown; height?: unknown } | undefined;
    if (crop?.width !== size.width || crop.height !== size.height) {
      fail(file, '"do_center_crop": true with a crop_size different from size is not supported');
    }
  }
  let rescaleFactor = 1;
  if (flag(cfg, "do_rescale", true, file)) {
    const r = cfg.rescale_factor ?? florenceImageConfig.rescaleFactor;
    if (!positiveNumber(r)) fail(file, `"rescale_factor" must be a positive number, got ${JSON.stringify(r)}`);
    rescaleFactor = r;
  }
  const normalize = flag(cfg, "do_normalize", true, file);
  const mean: Vec3 = normalize ? vec3(cfg, "image_mean", file, false) : [0, 0, 0];
  const std: Vec3 = normalize ? vec3(cfg, "image_std", file, true) : [1, 1, 1];
  return { size, rescaleFactor, mean, std };
}
