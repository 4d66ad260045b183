/**
 * The client's inputs -> generated message init shapes. Only the checks the wire format cannot
 * express happen here (enum names, what an image is); everything the server validates (region
 * bounds, blank text, raw-pixel geometry) is left to the server, so the rules live in one place.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BoundingBoxSchema } from "../gen/florence/v1/geometry_pb.js";
import { type ImageSchema, PixelFormat } from "../gen/florence/v1/image_pb.js";
import { type GenerationOptionsSchema, Task, type TaskInputSchema } from "../gen/florence/v1/task_pb.js";
import { nameToEnum } from "./enums.js";
import type { GenerationOptions, ImageInput, Images, Region, TaskName, TaskRequest } from "./inputs.js";

/** Reads an image file; Node entry points pass fs.readFile, the browser entry one that refuses. */
export type ReadImageFile = (path: string) => Promise<Uint8Array>;

export type ImageInit = MessageInitShape<typeof ImageSchema>;

/** A bare Uint8Array (or Buffer) or string is ONE image; only a real array is a batch. */
export function toImageList(images: Images): readonly ImageInput[] {
  if (Array.isArray(images)) return images as readonly ImageInput[];
  return [images as ImageInput];
}

function invalid(message: string, cause?: unknown): ConnectError {
  return new ConnectError(message, Code.InvalidArgument, undefined, undefined, cause);
}

async function readPath(path: string, field: string, readFile: ReadImageFile): Promise<ImageInit> {
  try {
    return { source: { case: "encoded", value: await readFile(path) } };
  } catch (e) {
    if (e instanceof ConnectError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw invalid(
      `${field}: cannot read image file ${JSON.stringify(path)} (${reason}); pass an existing file or the image bytes`,
      e,
    );
  }
}

/** One image as an Image message; `field` names it in errors, e.g. "images[2]". */
export async function toImage(input: ImageInput, field: string, readFile: ReadImageFile): Promise<ImageInit> {
  if (input instanceof Uint8Array) return { source: { case: "encoded", value: input } };
  if (typeof input === "string") return readPath(input, field, readFile);
  if (typeof input === "object" && input !== null) {
    if (input.kind === "path") return readPath(input.path, field, readFile);
    if (input.kind === "encoded" && input.data instanceof Uint8Array)
      return { source: { case: "encoded", value: input.data } };
    if ((input.kind === undefined || input.kind === "raw") && "width" in input && input.data instanceof Uint8Array) {
      const format = nameToEnum(PixelFormat, input.format, `${field}.format`);
      return { source: { case: "raw", value: { width: input.width, height: input.height, format, data: input.data } } };
    }
  }
  throw invalid(
    `${field}: not an image; pass encoded bytes (Uint8Array/Buffer), raw pixels {data, width, height, format} or a file path`,
  );
}

/** All images, read concurrently, in order. */
export function toImages(images: Images, readFile: ReadImageFile): Promise<ImageInit[]> {
  return Promise.all(toImageList(images).map((image, i) => toImage(image, `images[${i}]`, readFile)));
}

export function toBox(region: Region): MessageInitShape<typeof BoundingBoxSchema> {
  if (Array.isArray(region)) {
    const [x1, y1, x2, y2] = region as readonly [number, number, number, number];
    return { x1, y1, x2, y2 };
  }
  const { x1, y1, x2, y2 } = region as Exclude<Region, readonly number[]>;
  return { x1, y1, x2, y2 };
}

export function toTask(name: TaskName, field = "task"): Task {
  return nameToEnum(Task, name, field) as Task;
}

export function toTaskInput(request: TaskRequest, field = "task"): MessageInitShape<typeof TaskInputSchema> {
  return {
    task: toTask(request.task, `${field}.task`),
    text: request.text ?? "",
    ...(request.region === undefined ? {} : { region: toBox(request.region) }),
  };
}

/**
 * Copies only the decoding fields, so call options in the same object never reach the message.
 * (core's pickDecodingParams does the same; the client takes only types from core/, so its module
 * graph stays client/ and gen/.)
 */
export function toGenerationOptions(o: GenerationOptions): MessageInitShape<typeof GenerationOptionsSchema> {
  const out: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } = {};
  if (o.numBeams !== undefined) out.numBeams = o.numBeams;
  if (o.maxNewTokens !== undefined) out.maxNewTokens = o.maxNewTokens;
  if (o.minNewTokens !== undefined) out.minNewTokens = o.minNewTokens;
  if (o.lengthPenalty !== undefined) out.lengthPenalty = o.lengthPenalty;
  if (o.earlyStopping !== undefined) out.earlyStopping = o.earlyStopping;
  if (o.noRepeatNgramSize !== undefined) out.noRepeatNgramSize = o.noRepeatNgramSize;
  return out;
}
