/**
 * grpc.health.v1 statuses from the models' states.
 *
 * - "" and the services follow the server: NOT_SERVING until the default model's start-up load has
 *   ended well, while none of the default model's workers can run, and from the start of the drain.
 * - A model's name (servers started with named models) is SERVING when a request for it would be
 *   served: loaded with a worker that can run, or not loaded but loadable (the request waits for
 *   the load). NOT_SERVING before the server is ready, while its start-up load runs (requests get
 *   UNAVAILABLE then), after its last load failed (until a load succeeds), and while draining.
 */
import type { HealthRegistry } from "./health.js";
import { ServingStatus } from "./health.js";
import type { Logger } from "./logger.js";
import { describeCause } from "./logger.js";
import type { ModelRegistry, ModelView } from "./model-registry.js";

/** Whether the server as a whole is ready and not draining. */
export interface ServerPhase {
  readonly ready: boolean;
  readonly draining: boolean;
}

/** The status of a model's own health entry. */
export function modelStatus(model: ModelView, phase: ServerPhase): ServingStatus {
  if (!phase.ready || phase.draining || model.startupLoading || model.state === "failed")
    return ServingStatus.NOT_SERVING;
  if (model.state === "loaded" && !model.workersAvailable) return ServingStatus.NOT_SERVING;
  return ServingStatus.SERVING;
}

/** The status of "" and the services: the default model's workers decide once the server is ready. */
export function serverStatus(defaultModel: ModelView, phase: ServerPhase): ServingStatus {
  if (!phase.ready || phase.draining) return ServingStatus.NOT_SERVING;
  if (defaultModel.state === "loaded" && !defaultModel.workersAvailable) return ServingStatus.NOT_SERVING;
  return ServingStatus.SERVING;
}

export interface ModelHealthTarget {
  readonly health: HealthRegistry;
  readonly logger: Logger;
  /** The service names that follow the server ("" included). */
  readonly services: readonly string[];
  /** Whether models have their own entries. */
  readonly perModel: boolean;
  readonly phase: () => ServerPhase;
}

/**
 * Keeps the health entries in step with the models: call `update` after a phase change; model
 * changes update by themselves. Logs each change of a model's worker availability. Returns the
 * unsubscribe function and `update`.
 */
export function followModels(
  models: ModelRegistry,
  target: ModelHealthTarget,
): { readonly update: () => void; readonly stop: () => void } {
  const available = new Map<string, boolean>();
  const update = () => {
    const phase = target.phase();
    const server = serverStatus(models.view(models.defaultName), phase);
    for (const service of target.services) target.health.set(service, server);
    if (target.perModel) for (const view of models.views()) target.health.set(view.name, modelStatus(view, phase));
  };
  const stop = models.onChange((name) => {
    const view = models.view(name);
    const was = available.get(name) ?? true;
    const now = view.state !== "loaded" || view.workersAvailable;
    available.set(name, now);
    if (was !== now && !target.phase().draining) {
      target.logger(
        now
          ? { level: "info", msg: "an inference worker is running again: serving", model: name }
          : {
              level: "error",
              msg: "no inference worker can run: NOT_SERVING, calls get UNAVAILABLE until a replacement starts",
              model: name,
              cause: describeCause(view.unavailableCause),
            },
      );
    }
    update();
  });
  return { update, stop };
}
