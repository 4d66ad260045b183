/** ModelService: what is loaded and which limits apply. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../gen/florence/v1/model_service_pb.js";
import type { ServiceDeps } from "./call-context.js";
import { unaryCall } from "./call-context.js";
import type { ServerOptions } from "./options.js";
import { toModelInfoMessage } from "./to-proto.js";
import { effectiveMaxNewTokens, type ModelLimits } from "./validation.js";

/** The ServerLimits message fields: the options, with the model's caps where they are tighter. */
function limitsOf(options: Readonly<ServerOptions>, model: ModelLimits) {
  return {
    readMaxBytes: BigInt(options.readMaxBytes),
    maxImagesPerRequest: options.maxImagesPerRequest,
    maxTasksPerRequest: options.maxTasksPerRequest,
    maxConcurrentRequests: options.maxConcurrentRequests,
    maxQueuedRequests: options.maxQueuedRequests,
    maxConcurrentStreams: options.maxConcurrentStreams,
    maxFramesInFlightPerStream: options.maxFramesInFlightPerStream,
    maxNumBeams: options.maxNumBeams,
    maxNewTokens: effectiveMaxNewTokens(options.maxNewTokens, model),
    maxRequestMegapixels: options.maxRequestMegapixels,
  };
}

export function createModelService(deps: ServiceDeps): ServiceImpl<typeof ModelService> {
  return {
    listModels: unaryCall(deps, async () => {
      const engine = deps.engine.get();
      const model = toModelInfoMessage(engine.info, await engine.stats());
      // The model's own caps, so a client can size its requests before sending them.
      model.maxNewTokens = engine.info.maxNewTokens;
      model.maxTextBytes = engine.info.maxTextBytes;
      return { models: [model], limits: limitsOf(deps.options, engine.info) };
    }),
  };
}
