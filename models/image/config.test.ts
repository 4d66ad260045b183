import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { florenceImageConfig, parseImagePreprocessConfig } from "./config.js";

const goldenConfig = (
  JSON.parse(readFileSync(new URL("../../test/fixtures/goldens/preprocessing.json", import.meta.url), "utf8")) as {
    config: unknown;
  }
).config;

const base = {
  do_resize: true,
  size: { height: 768, width: 768 },
  resample: 3,
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
};

describe("parseImagePreprocessConfig", () => {
  it("reads the reference config into the Florence-2 values", () => {
    expect(parseImagePreprocessConfig(goldenConfig, "preprocessor_config.json")).toEqual(florenceImageConfig);
  });

  it("reads the tiny model's preprocessor_config.json (onnx-community layout, with task tables)", () => {
    const path = new URL("../../test/fixtures/tiny/preprocessor_config.json", import.meta.url);
    expect(parseImagePreprocessConfig(JSON.parse(readFileSync(path, "utf8")), "tiny/preprocessor_config.json")).toEqual(
      florenceImageConfig,
    );
  });

  it("defaults rescale_factor to 1/255 like CLIPImageProcessor (Microsoft's config omits it)", () => {
    expect(parseImagePreprocessConfig(base, "p.json").rescaleFactor).toBe(1 / 255);
  });

  it("turns do_rescale/do_normalize false into identity steps", () => {
    const cfg = parseImagePreprocessConfig({ ...base, do_rescale: false, do_normalize: false }, "p.json");
    expect(cfg).toMatchObject({ rescaleFactor: 1, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it("accepts a centre crop that equals the resize size (a no-op)", () => {
    const cfg = parseImagePreprocessConfig(
      { ...base, do_center_crop: true, crop_size: { height: 768, width: 768 } },
      "p.json",
    );
    expect(cfg.size).toEqual({ width: 768, height: 768 });
  });

  it.each([
    ["not an object", [], /expected a JSON object/],
    ["do_resize false", { ...base, do_resize: false }, /do_resize/],
    ["size missing", { ...base, size: undefined }, /"size" must be/],
    ["shortest_edge size", { ...base, size: { shortest_edge: 224 } }, /"size" must be/],
    ["bilinear", { ...base, resample: 2 }, /"resample" 2 is not supported/],
    ["crop", { ...base, do_center_crop: true, crop_size: { height: 224, width: 224 } }, /do_center_crop/],
    ["bad mean", { ...base, image_mean: [0.5, 0.5] }, /"image_mean" must be an array of 3/],
    ["zero std", { ...base, image_std: [0.2, 0, 0.2] }, /"image_std" must be an array of 3 positive/],
    ["string flag", { ...base, do_normalize: "yes" }, /"do_normalize" must be true or false/],
    ["bad rescale", { ...base, rescale_factor: -1 }, /"rescale_factor" must be a positive number/],
  ])("fails the model load for %s, naming the file", (_, json, message) => {
    expect(() => parseImagePreprocessConfig(json, "model/preprocessor_config.json")).toThrow(
      expect.objectContaining({
        kind: "model_load",
        message: expect.stringMatching(new RegExp(`^model/preprocessor_config\\.json: .*${message.source}`)),
      }),
    );
  });
});
