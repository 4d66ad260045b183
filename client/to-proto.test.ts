import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PixelFormat } from "../gen/florence/v1/image_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";
import { enumNames, enumToName, nameToEnum } from "./enums.js";
import type { ImageInput } from "./inputs.js";
import {
  type ReadImageFile,
  toBox,
  toGenerationOptions,
  toImage,
  toImageList,
  toImages,
  toTaskInput,
} from "./to-proto.js";

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
const FILE_BYTES = new Uint8Array([1, 2, 3]);

/** A fake file system: "a.png" exists, everything else is missing. */
const readFile: ReadImageFile = async (path) => {
  if (path === "a.png") return FILE_BYTES;
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
};

function expectCode(e: unknown, code: Code): void {
  expect(e).toBeInstanceOf(ConnectError);
  expect((e as ConnectError).code).toBe(code);
}

describe("enums", () => {
  it("derives the engine's task names from the generated Task enum", () => {
    expect(enumNames(Task)).toContain("object_detection");
    expect(enumNames(Task)).toContain("referring_expression_segmentation");
    expect(enumNames(Task)).not.toContain("unspecified");
    expect(enumNames(Task)).toHaveLength(15);
  });

  it.each([
    ["caption", Task.CAPTION],
    ["region_to_ocr", Task.REGION_TO_OCR],
  ])("round-trips %s", (name, value) => {
    expect(nameToEnum(Task, name, "task")).toBe(value);
    expect(enumToName(Task, value)).toBe(name);
  });

  // Not strings too: a JavaScript caller can pass anything (a task object where a name belongs).
  it.each<unknown>(["unspecified", "CAPTION", "<OD>", "", { task: "caption" }, undefined, 3])(
    "rejects %j with INVALID_ARGUMENT listing the valid names",
    (name) => {
      const call = () => nameToEnum(Task, name as string, "task");
      expect(call).toThrow(/task: unknown value .* expected one of caption, detailed_caption/);
      try {
        call();
      } catch (e) {
        expectCode(e, Code.InvalidArgument);
      }
    },
  );

  it("gives undefined for UNSPECIFIED and values newer than the client", () => {
    expect(enumToName(Task, Task.UNSPECIFIED)).toBeUndefined();
    expect(enumToName(Task, 999)).toBeUndefined();
  });
});

describe("toImageList", () => {
  it.each<[string, ImageInput | readonly ImageInput[], number]>([
    ["bytes are one image", PNG_BYTES, 1],
    ["a Buffer is one image", Buffer.from(PNG_BYTES), 1],
    ["a path is one image", "a.png", 1],
    ["raw pixels are one image", { data: new Uint8Array(3), width: 1, height: 1, format: "rgb" }, 1],
    ["an array is a batch", [PNG_BYTES, "a.png"], 2],
    ["an empty array is an empty batch", [], 0],
  ])("%s", (_, images, n) => {
    expect(toImageList(images)).toHaveLength(n);
  });
});

describe("toImage", () => {
  it.each<[string, ImageInput, unknown]>([
    ["bare bytes", PNG_BYTES, { case: "encoded", value: PNG_BYTES }],
    ["tagged encoded bytes", { kind: "encoded", data: PNG_BYTES }, { case: "encoded", value: PNG_BYTES }],
    ["a path string", "a.png", { case: "encoded", value: FILE_BYTES }],
    ["a tagged path", { kind: "path", path: "a.png" }, { case: "encoded", value: FILE_BYTES }],
    [
      "untagged raw pixels",
      { data: new Uint8Array(6), width: 2, height: 1, format: "bgr" },
      { case: "raw", value: { width: 2, height: 1, format: PixelFormat.BGR, data: new Uint8Array(6) } },
    ],
    [
      "engine-style tagged raw pixels",
      { kind: "raw", data: new Uint8Array(2), width: 1, height: 2, format: "gray" },
      { case: "raw", value: { width: 1, height: 2, format: PixelFormat.GRAY, data: new Uint8Array(2) } },
    ],
  ])("converts %s", async (_, input, source) => {
    expect(await toImage(input, "images[0]", readFile)).toEqual({ source });
  });

  it("names the missing file and the field in an INVALID_ARGUMENT error", async () => {
    const e = await toImage("missing.jpg", "images[3]", readFile).catch((err: unknown) => err);
    expectCode(e, Code.InvalidArgument);
    expect((e as ConnectError).rawMessage).toMatch(/^images\[3\]: cannot read image file "missing.jpg" \(ENOENT/);
  });

  it.each<[string, unknown]>([
    ["a number", 42],
    ["null", null],
    ["an object without data", { width: 1, height: 1, format: "rgb" }],
    ["encoded with a non-byte payload", { kind: "encoded", data: "abc" }],
  ])("rejects %s", async (_, input) => {
    const e = await toImage(input as ImageInput, "images[0]", readFile).catch((err: unknown) => err);
    expectCode(e, Code.InvalidArgument);
    expect((e as ConnectError).rawMessage).toMatch(/^images\[0\]: not an image/);
  });

  it("rejects an unknown pixel format naming the field", async () => {
    const raw = { data: new Uint8Array(3), width: 1, height: 1, format: "yuv" } as unknown as ImageInput;
    const e = await toImage(raw, "images[1]", readFile).catch((err: unknown) => err);
    expectCode(e, Code.InvalidArgument);
    expect((e as ConnectError).rawMessage).toMatch(/^images\[1\]\.format: unknown value "yuv"/);
  });

  it("keeps batch order and field indices", async () => {
    const images = await toImages([PNG_BYTES, "a.png"], readFile);
    expect(images.map((i) => i.source?.value)).toEqual([PNG_BYTES, FILE_BYTES]);
    const e = await toImages([PNG_BYTES, "nope.png"], readFile).catch((err: unknown) => err);
    expect((e as ConnectError).rawMessage).toMatch(/^images\[1\]:/);
  });
});

describe("regions, tasks and generation options", () => {
  it.each([
    ["a tuple", [1, 2, 30, 40] as const],
    ["a box", { x1: 1, y1: 2, x2: 30, y2: 40 }],
  ])("converts %s to a BoundingBox", (_, region) => {
    expect(toBox(region)).toEqual({ x1: 1, y1: 2, x2: 30, y2: 40 });
  });

  it("converts a task request, text defaulting to empty", () => {
    expect(toTaskInput({ task: "region_to_category", region: [0, 0, 5, 5] })).toEqual({
      task: Task.REGION_TO_CATEGORY,
      text: "",
      region: { x1: 0, y1: 0, x2: 5, y2: 5 },
    });
    expect(toTaskInput({ task: "phrase_grounding", text: "a dog" })).toEqual({
      task: Task.PHRASE_GROUNDING,
      text: "a dog",
    });
  });

  it("copies only decoding fields, so call options never reach the message", () => {
    const options = {
      numBeams: 1,
      maxNewTokens: 20,
      minNewTokens: 20,
      earlyStopping: false,
      timeoutMs: 5,
      signal: new AbortController().signal,
    };
    expect(toGenerationOptions(options)).toEqual({
      numBeams: 1,
      maxNewTokens: 20,
      minNewTokens: 20,
      earlyStopping: false,
    });
    expect(toGenerationOptions({})).toEqual({});
  });
});
