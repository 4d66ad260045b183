/**
 * The transport-independent client: every method builds one request message, makes one call and
 * converts the answer to plain typed objects. The Node and browser entry points only differ in
 * how they build the Transport and read file paths.
 */
import { type CallOptions, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { CaptionGranularity, DetectionLabelsMode, FlorenceService } from "../gen/florence/v1/florence_service_pb.js";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ListModelsResponseSchema,
  type ModelInfo as ModelInfoMessage,
  ModelInfoSchema,
  ModelService,
  ModelState,
} from "../gen/florence/v1/model_service_pb.js";
import { nameToEnum } from "./enums.js";
import {
  fromDetectionsResult,
  fromListModels,
  fromOcrResult,
  fromSegmentationResult,
  fromTaskResult,
  fromTextResult,
  fromTimings,
} from "./from-proto.js";
import type {
  CaptionOptions,
  DetectOptions,
  FlorenceCallOptions,
  FrameInput,
  ImageInput,
  Images,
  Region,
  RequestOptions,
  RunOptions,
  StreamConfig,
  TaskName,
  TaskRequest,
} from "./inputs.js";
import { type FlorenceClientOptions, toCallOptions } from "./options.js";
import type {
  DetectionsResult,
  FrameAnswer,
  ModelInfo,
  ModelList,
  OcrResult,
  SegmentationResult,
  TaskResult,
  TextResult,
} from "./results.js";
import { StreamFramesRequestSchema } from "../gen/florence/v1/frames_pb.js";
import { readUntilStopped } from "./early-stop.js";
import { type RunStreamEvent, type RunStreamOptions, runStreamEvents } from "./run-stream.js";
import { fromStreamResponse, toStreamRequests } from "./stream.js";
import { type ReadImageFile, toBox, toGenerationOptions, toImage, toImages, toTask, toTaskInput } from "./to-proto.js";

/** Every method takes one image or an array and resolves to one result per image, in order. */
export interface FlorenceClient {
  /** <CAPTION>, <DETAILED_CAPTION> or <MORE_DETAILED_CAPTION>, by `granularity`. */
  captionImage(images: Images, options?: CaptionOptions & ModelChoice): Promise<TextResult[]>;
  /** <OD>, <DENSE_REGION_CAPTION> or <REGION_PROPOSAL> by `labelsMode`, or exactly `classes`. */
  detectObjects(images: Images, options?: DetectOptions & ModelChoice): Promise<DetectionsResult[]>;
  /** <OCR>: all text as one string. */
  ocrImage(images: Images, options?: RequestOptions & ModelChoice): Promise<TextResult[]>;
  /** <OCR_WITH_REGION>: text lines with their quadrilaterals. */
  parseDocument(images: Images, options?: RequestOptions & ModelChoice): Promise<OcrResult[]>;
  /** <CAPTION_TO_PHRASE_GROUNDING>: boxes for the phrases of `phrase`. */
  groundPhrase(images: Images, phrase: string, options?: RequestOptions & ModelChoice): Promise<DetectionsResult[]>;
  /** <REFERRING_EXPRESSION_SEGMENTATION>: polygons and masks of what `phrase` refers to. */
  segmentPhrase(images: Images, phrase: string, options?: RequestOptions & ModelChoice): Promise<SegmentationResult[]>;
  /** <REGION_TO_SEGMENTATION>: polygons and mask of the object in `region`. */
  segmentRegion(images: Images, region: Region, options?: RequestOptions & ModelChoice): Promise<SegmentationResult[]>;
  /** <REGION_TO_CATEGORY>. */
  classifyImageRegion(images: Images, region: Region, options?: RequestOptions & ModelChoice): Promise<TextResult[]>;
  /** <REGION_TO_DESCRIPTION>. */
  captionImageRegion(images: Images, region: Region, options?: RequestOptions & ModelChoice): Promise<TextResult[]>;
  /** <REGION_TO_OCR>. */
  ocrImageRegion(images: Images, region: Region, options?: RequestOptions & ModelChoice): Promise<TextResult[]>;
  /** Any task; pass `text` or `region` for the tasks that need one. */
  run(task: TaskName, images: Images, options?: RunOptions & ModelChoice): Promise<TaskResult[]>;
  /**
   * Any task, with the answer text as it is generated: `partial` events (each image's text so
   * far, at most one per image every `partialIntervalMs`), then one `result` event with what run()
   * returns. Aborting `signal`, the deadline (the client's timeoutMs applies, as for run) or
   * leaving the loop early cancels the call, and the server stops decoding.
   */
  runStream(task: TaskName, images: Images, options?: RunStreamOptions & ModelChoice): AsyncIterable<RunStreamEvent>;
  /** Several tasks on ONE image (decoded and vision-encoded once); one result per task. */
  runTasks(
    image: ImageInput,
    tasks: readonly TaskRequest[],
    options?: RequestOptions & ModelChoice,
  ): Promise<TaskResult[]>;
  /**
   * The server's models and limits, as ModelInfo only (a model that is not loaded has an empty
   * id); listServedModels adds each model's name, state and load counters.
   */
  listModels(options?: FlorenceCallOptions): Promise<ModelList>;
  /** Every model the server has (loaded or not, with its name and state; the default first) and its limits. */
  listServedModels(options?: FlorenceCallOptions): Promise<ServedModelList>;
  /**
   * Operators: loads `model` now and resolves once it is loaded (bounded by the call's deadline).
   * Needs a token like every call when the server has a tokens file.
   */
  loadModel(model: string, options?: FlorenceCallOptions): Promise<ServedModel>;
  /** Operators: unloads `model`; FAILED_PRECONDITION while calls use it. */
  unloadModel(model: string, options?: FlorenceCallOptions): Promise<ServedModel>;
  /**
   * Bidirectional stream for video: one answer per frame, in frame order (a result, a skip, or a
   * per-frame error). Needs HTTP/2 (Node); browsers' fetch cannot stream requests. The client's
   * default timeoutMs does not apply to streams.
   */
  streamFrames(
    frames: AsyncIterable<FrameInput> | Iterable<FrameInput>,
    config: StreamConfig & ModelChoice,
    options?: FlorenceCallOptions,
  ): AsyncIterable<FrameAnswer>;
}

/** Which model a call runs on: a name ListModels gives; unset = the client's `model`, else the server's default. */
export interface ModelChoice {
  readonly model?: string;
}

/** Where a served model is in its life cycle (ModelState in model_service.proto). */
export type ServedModelState = "unloaded" | "loading" | "loaded" | "failed";

/**
 * A model the server has. A model that is not loaded has its name, state and counters only: its
 * other fields are empty (id "", no tasks, no stats).
 */
export interface ServedModel extends ModelInfo {
  /** The name calls pass as `model`. */
  readonly name: string;
  readonly state: ServedModelState | undefined;
  /** Calls without a model run on this one. */
  readonly isDefault: boolean;
  /** Why its last load failed, when state is "failed". */
  readonly loadError: string | undefined;
  /** Loads and unloads since the server started. */
  readonly loads: number;
  readonly unloads: number;
}

export interface ServedModelList extends ModelList {
  readonly models: readonly ServedModel[];
}

const MODEL_STATES: Readonly<Record<number, ServedModelState>> = {
  [ModelState.UNLOADED]: "unloaded",
  [ModelState.LOADING]: "loading",
  [ModelState.LOADED]: "loaded",
  [ModelState.FAILED]: "failed",
};

function toServedModel(message: ModelInfoMessage): ServedModel {
  const info = fromListModels(create(ListModelsResponseSchema, { models: [message] })).models[0]!;
  return {
    ...info,
    name: message.name,
    state: MODEL_STATES[message.state],
    isDefault: message.default,
    loadError: message.loadError === "" ? undefined : message.loadError,
    loads: Number(message.loads),
    unloads: Number(message.unloads),
  };
}

export interface ClientSettings extends Pick<FlorenceClientOptions, "headers" | "timeoutMs"> {
  /** See FlorenceClientOptions.model. */
  readonly model?: string | undefined;
  /** See FlorenceClientOptions.token. */
  readonly token?: string | undefined;
  readonly readFile: ReadImageFile;
  /**
   * Why this transport cannot carry streamFrames (bidirectional streaming needs HTTP/2 request
   * streaming), or undefined when it can. Set, streamFrames fails at once with UNIMPLEMENTED and
   * this reason, instead of an opaque HTTP 505 from the server.
   */
  readonly noBidiStreaming?: string;
}

/** Builds the client on any connect Transport (the entry points' createFlorenceClient call this). */
// Long because it is the client's method table: one short method per Florence-2 call, each a line
// or two over the shared conversion helpers above.
export function createFlorenceClientOnTransport(transport: Transport, settings: ClientSettings): FlorenceClient {
  const florence = createClient(FlorenceService, transport);
  const models = createClient(ModelService, transport);
  const { readFile } = settings;
  const call = (o: FlorenceCallOptions): CallOptions => toCallOptions(o, settings);
  /** Hands a unary response's timings to the caller's onTimings, if any. */
  const answered = <R extends { readonly timings?: Parameters<typeof fromTimings>[0] }>(
    r: R,
    o: FlorenceCallOptions,
  ): R => {
    o.onTimings?.(fromTimings(r.timings));
    return r;
  };
  const gen = toGenerationOptions;
  /** The call's model, else the client's; "" (the server's default) when neither is set. */
  const modelOf = (o: ModelChoice): string => o.model ?? settings.model ?? "";

  // The eight image+(phrase|region) methods share one shape: images, one extra field, options.
  const withImages = async (images: Images, o: RequestOptions & ModelChoice) => ({
    images: await toImages(images, readFile),
    options: gen(o),
    model: modelOf(o),
  });

  const runRequest = async (task: TaskName, images: Images, o: RunOptions & ModelChoice) => ({
    ...(await withImages(images, o)),
    task: toTask(task),
    text: o.text ?? "",
    ...(o.region === undefined ? {} : { region: toBox(o.region) }),
  });

  return {
    async captionImage(images, o = {}) {
      const granularity = nameToEnum(
        CaptionGranularity,
        o.granularity ?? "normal",
        "granularity",
      ) as CaptionGranularity;
      const r = answered(await florence.captionImage({ ...(await withImages(images, o)), granularity }, call(o)), o);
      return r.results.map(fromTextResult);
    },
    async detectObjects(images, o = {}) {
      const labelsMode = nameToEnum(
        DetectionLabelsMode,
        o.labelsMode ?? "classes",
        "labelsMode",
      ) as DetectionLabelsMode;
      const r = answered(
        await florence.detectObjects(
          { ...(await withImages(images, o)), labelsMode, classes: [...(o.classes ?? [])] },
          call(o),
        ),
        o,
      );
      return r.results.map(fromDetectionsResult);
    },
    async ocrImage(images, o = {}) {
      return answered(await florence.ocrImage(await withImages(images, o), call(o)), o).results.map(fromTextResult);
    },
    async parseDocument(images, o = {}) {
      return answered(await florence.parseDocument(await withImages(images, o), call(o)), o).results.map(fromOcrResult);
    },
    async groundPhrase(images, phrase, o = {}) {
      return answered(
        await florence.groundPhrase({ ...(await withImages(images, o)), phrase }, call(o)),
        o,
      ).results.map(fromDetectionsResult);
    },
    async segmentPhrase(images, phrase, o = {}) {
      return answered(
        await florence.segmentPhrase({ ...(await withImages(images, o)), phrase }, call(o)),
        o,
      ).results.map(fromSegmentationResult);
    },
    async segmentRegion(images, region, o = {}) {
      const req = { ...(await withImages(images, o)), region: toBox(region) };
      return answered(await florence.segmentRegion(req, call(o)), o).results.map(fromSegmentationResult);
    },
    async classifyImageRegion(images, region, o = {}) {
      const req = { ...(await withImages(images, o)), region: toBox(region) };
      return answered(await florence.classifyImageRegion(req, call(o)), o).results.map(fromTextResult);
    },
    async captionImageRegion(images, region, o = {}) {
      const req = { ...(await withImages(images, o)), region: toBox(region) };
      return answered(await florence.captionImageRegion(req, call(o)), o).results.map(fromTextResult);
    },
    async ocrImageRegion(images, region, o = {}) {
      const req = { ...(await withImages(images, o)), region: toBox(region) };
      return answered(await florence.ocrImageRegion(req, call(o)), o).results.map(fromTextResult);
    },
    async run(task, images, o = {}) {
      return answered(await florence.run(await runRequest(task, images, o), call(o)), o).results.map(fromTaskResult);
    },
    async *runStream(task, images, o = {}) {
      const req = {
        ...(await runRequest(task, images, o)),
        ...(o.partialIntervalMs === undefined ? {} : { partialIntervalMs: o.partialIntervalMs }),
      };
      yield* runStreamEvents((signal) => florence.runStream(req, call({ ...o, signal })), o);
    },
    async runTasks(image, tasks, o = {}) {
      const req = {
        image: await toImage(image, "image", readFile),
        tasks: tasks.map((t, i) => toTaskInput(t, `tasks[${i}]`)),
        options: gen(o),
        model: modelOf(o),
      };
      return answered(await florence.runTasks(req, call(o)), o).results.map(fromTaskResult);
    },
    async listModels(o = {}) {
      return fromListModels(await models.listModels({}, call(o)));
    },
    async listServedModels(o = {}) {
      const r = await models.listModels({}, call(o));
      return { ...fromListModels(r), models: r.models.map(toServedModel) };
    },
    async loadModel(model, o = {}) {
      const r = await models.loadModel({ model }, call(o));
      return toServedModel(r.model ?? create(ModelInfoSchema, { name: model }));
    },
    async unloadModel(model, o = {}) {
      const r = await models.unloadModel({ model }, call(o));
      return toServedModel(r.model ?? create(ModelInfoSchema, { name: model }));
    },
    async *streamFrames(frames, config, o = {}) {
      if (settings.noBidiStreaming !== undefined) throw new ConnectError(settings.noBidiStreaming, Code.Unimplemented);
      const requests = withStreamModel(toStreamRequests(frames, config, readFile), modelOf(config));
      const answers = readUntilStopped(
        (signal) => florence.streamFrames(requests, toCallOptions({ ...o, signal }, settings, false)),
        o.signal,
      );
      for await (const answer of answers) yield fromStreamResponse(answer);
    },
  };
}

type StreamRequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;

/** The stream's requests with `model` set on its StreamConfig (the first message). */
async function* withStreamModel(
  requests: AsyncIterable<StreamRequestInit>,
  model: string,
): AsyncIterable<StreamRequestInit> {
  for await (const request of requests) {
    if (request.message?.case !== "config") {
      yield request;
      continue;
    }
    const config = create(StreamFramesRequestSchema, request);
    if (config.message.case === "config") config.message.value.model = model;
    yield config;
  }
}
