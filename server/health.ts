/**
 * grpc.health.v1.Health for connect-node (grpc-health-check only fits a grpc-js Server).
 * The server as a whole is "" and each application service has its own entry; all start
 * NOT_SERVING, turn SERVING once the engine has loaded, and go back to NOT_SERVING when draining.
 * A server started with named models also has one entry per model name (server/model-health.ts).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Health } from "../gen/grpc/health/v1/health_pb.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

/** The current status of every known service, with change notification. */
export class HealthRegistry {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Set<() => void>();

  /** Registers "" plus `services`, all NOT_SERVING. */
  constructor(services: readonly string[]) {
    for (const name of ["", ...services]) this.#statuses.set(name, ServingStatus.NOT_SERVING);
  }

  /** The status of a known service; undefined when unknown. */
  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** A snapshot of all statuses. */
  entries(): [string, ServingStatus][] {
    return [...this.#statuses];
  }

  /** Sets one known service's status, notifying watchers when it changed; unknown names are ignored. */
  set(service: string, status: ServingStatus): void {
    const old = this.#statuses.get(service);
    if (old === undefined || old === status) return;
    this.#statuses.set(service, status);
    for (const listener of this.#listeners) listener();
  }

  /** Sets every known service to `status`, notifying watchers once. */
  setAll(status: ServingStatus): void {
    let changed = false;
    for (const [name, old] of this.#statuses) {
      if (old !== status) {
        this.#statuses.set(name, status);
        changed = true;
      }
    }
    if (changed) for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Active Watch subscriptions (tests check that cancelled watches clean up). */
  get listenerCount(): number {
    return this.#listeners.size;
  }
}

export function createHealthService(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = registry.get(request.service);
      if (status === undefined) {
        const known = registry
          .entries()
          .map(([name]) => JSON.stringify(name))
          .join(", ");
        throw new ConnectError(`unknown service ${JSON.stringify(request.service)}; known: ${known}`, Code.NotFound);
      }
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries(registry.entries().map(([name, status]) => [name, { status }])) };
    },
    async *watch(request, context) {
      // Level-triggered: a change sets `dirty` and wakes the loop, which sends the status only if
      // it differs from the last one sent. The call's signal (client cancel, server shutdown)
      // wakes it too, and the finally block unsubscribes in every case.
      let dirty = true;
      let wake: (() => void) | undefined;
      const notify = () => {
        dirty = true;
        wake?.();
      };
      const unsubscribe = registry.onChange(notify);
      context.signal.addEventListener("abort", notify);
      try {
        let last: ServingStatus | undefined;
        while (!context.signal.aborted) {
          if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
          dirty = false;
          if (context.signal.aborted) break;
          const status = registry.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield { status };
          }
        }
      } finally {
        unsubscribe();
        context.signal.removeEventListener("abort", notify);
      }
    },
  };
}
