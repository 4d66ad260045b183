/**
 * ModelService: the configured models with their states, the limits that apply, and the
 * operator's LoadModel / UnloadModel (server/model-registry.ts does the work).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type ModelInfo as ModelInfoMessage,
  ModelInfoSchema,
  type ModelService,
  ModelState,
} from "../gen/florence/v1/model_service_pb.js";
import { FlorenceError } from "../models/errors.js";
import type { ServiceDeps } from "./call-context.js";
import { unaryCall } from "./call-context.js";
import type { ModelState as RegistryState, ModelView } from "./model-registry.js";
import type { ServerOptions } from "./options.js";
import { toModelInfoMessage } from "./to-proto.js";
import { effectiveMaxNewTokens, type ModelLimits } from "./validation.js";

/** The ServerLimits message fields: the options, with the model's caps where they are tighter. */
function limitsOf(options: Readonly<ServerOptions>, model: ModelLimits | undefined) {
  return {
    readMaxBytes: BigInt(options.readMaxBytes),
    maxImagesPerRequest: options.maxImagesPerRequest,
    maxTasksPerRequest: options.maxTasksPerRequest,
    maxConcurrentRequests: options.maxConcurrentRequests,
    maxQueuedRequests: options.maxQueuedRequests,
    maxConcurrentStreams: options.maxConcurrentStreams,
    maxFramesInFlightPerStream: options.maxFramesInFlightPerStream,
    maxNumBeams: options.maxNumBeams,
    maxNewTokens: model === undefined ? options.maxNewTokens : effectiveMaxNewTokens(options.maxNewTokens, model),
    maxRequestMegapixels: options.maxRequestMegapixels,
  };
}

const STATE: Readonly<Record<RegistryState, ModelState>> = {
  unloaded: ModelState.UNLOADED,
  loading: ModelState.LOADING,
  loaded: ModelState.LOADED,
  failed: ModelState.FAILED,
};

/** A model's ModelInfo: every field when it is loaded, its name and state (and load error) when not. */
async function toModelMessage(view: ModelView): Promise<ModelInfoMessage> {
  const engine = view.engine;
  const message =
    engine === undefined ? create(ModelInfoSchema) : toModelInfoMessage(engine.info, await engine.stats());
  if (engine !== undefined) {
    // The model's own caps, so a client can size its requests before sending them.
    message.maxNewTokens = engine.info.maxNewTokens;
    message.maxTextBytes = engine.info.maxTextBytes;
  }
  message.name = view.name;
  message.state = STATE[view.state];
  message.default = view.isDefault;
  message.loads = BigInt(view.loads);
  message.unloads = BigInt(view.unloads);
  if (view.state === "failed" && view.loadError !== undefined) message.loadError = view.loadError.message;
  return message;
}

/** A copy of a stored error, so each answer has its own (no shared stack). */
function freshError(error: FlorenceError): FlorenceError {
  return new FlorenceError(error.kind, error.message, { cause: error, violations: error.violations });
}

/** The `model` field of LoadModel / UnloadModel: required there (no default stands in). */
function requiredModel(model: string): string {
  if (model === "")
    throw new ConnectError("model: required; name one of the models ListModels lists", Code.InvalidArgument);
  return model;
}

export function createModelService(deps: ServiceDeps): ServiceImpl<typeof ModelService> {
  return {
    listModels: unaryCall(deps, async () => {
      const views = deps.models.views();
      // A server with one model that failed to load has nothing to list: it answers with the
      // load error, which says what to fix (several models list the failed one's state instead).
      const only = views.length === 1 ? views[0] : undefined;
      if (only?.state === "failed" && only.loadError !== undefined) throw freshError(only.loadError);
      const models = await Promise.all(views.map(toModelMessage));
      return { models, limits: limitsOf(deps.options, deps.models.peek()?.info) };
    }),
    loadModel: unaryCall(deps, async (req, ctx, record) => {
      record.model = deps.models.resolve(requiredModel(req.model));
      const view = await deps.models.load(record.model, ctx.signal);
      return { model: await toModelMessage(view) };
    }),
    unloadModel: unaryCall(deps, async (req, _ctx, record) => {
      record.model = deps.models.resolve(requiredModel(req.model));
      return { model: await toModelMessage(await deps.models.unload(record.model)) };
    }),
  };
}
