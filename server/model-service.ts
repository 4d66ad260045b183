/** ModelService: what is loaded and which limits apply. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../gen/florence/v1/model_service_pb.js";
import type { ServiceDeps } from "./call-context.js";
import { unaryCall } from "./call-context.js";
import type { ServerOptions } from "./options.js";
import { toModelInfoMessage } from "./to-proto.js";

/** The ServerLimits message fields, from the options. */
export function limitsOf(options: Readonly<ServerOptions>) {
  return {
    readMaxBytes: BigInt(options.readMaxBytes),
    maxImagesPerRequest: options.maxImagesPerRequest,
    maxTasksPerRequest: options.maxTasksPerRequest,
    maxConcurrentRequests: options.maxConcurrentRequests,
    maxQueuedRequests: options.maxQueuedRequests,
    maxConcurrentStreams: options.maxConcurrentStreams,
    maxFramesInFlightPerStream: options.maxFramesInFlightPerStream,
    maxNumBeams: options.maxNumBeams,
    maxNewTokens: options.maxNewTokens,
  };
}

export function createModelService(deps: ServiceDeps): ServiceImpl<typeof ModelService> {
  return {
    listModels: unaryCall(deps, async () => {
      const engine = deps.engine.get();
      return { models: [toModelInfoMessage(engine.info, await engine.stats?.())], limits: limitsOf(deps.options) };
    }),
  };
}
