/**
 * The engine as the server sees it while it may still be loading: `get()` returns it once loaded,
 * and otherwise throws the FlorenceError the client should see (`unavailable` while loading, the
 * load failure after a failed load).
 */
import type { EngineAvailability, FlorenceEngine } from "../models/engine.js";
import type { FlorenceError } from "../models/errors.js";
import { FlorenceError as FlorenceErrorClass, toFlorenceError } from "../models/errors.js";
import type { HealthRegistry } from "./health.js";
import { ServingStatus } from "./health.js";
import type { Logger } from "./logger.js";
import { describeCause } from "./logger.js";

export class EngineHandle {
  #engine: FlorenceEngine | undefined;
  #error: FlorenceError | undefined;
  #loadSeconds: number | undefined;
  #workersAvailable = true;
  /** Settles when loading ends: the engine, or undefined when it failed (see `loadError`). */
  readonly ready: Promise<FlorenceEngine | undefined>;

  constructor(engine: FlorenceEngine | Promise<FlorenceEngine>) {
    const start = performance.now();
    this.ready = Promise.resolve(engine).then(
      (loaded) => {
        this.#engine = loaded;
        this.#loadSeconds = (performance.now() - start) / 1000;
        loaded.onAvailabilityChange?.((availability) => {
          this.#workersAvailable = availability.available;
        });
        return loaded;
      },
      (e: unknown) => {
        this.#error = toFlorenceError(e);
        return undefined;
      },
    );
  }

  /** Seconds from this handle's creation (server start) until the engine had loaded; undefined before. */
  get loadSeconds(): number | undefined {
    return this.#loadSeconds;
  }

  /** The engine once loaded, without throwing (metrics read its stats). */
  peek(): FlorenceEngine | undefined {
    return this.#engine;
  }

  /**
   * Liveness: false once loading has failed or while none of the engine's workers can run (a
   * replacement is on its way, or keeps failing). True while loading: that is readiness' concern.
   */
  get alive(): boolean {
    return this.#error === undefined && this.#workersAvailable;
  }

  /** The load failure, once loading has failed. */
  get loadError(): FlorenceError | undefined {
    return this.#error;
  }

  /** The loaded engine, or throws what the client should see instead. */
  get(): FlorenceEngine {
    if (this.#engine !== undefined) return this.#engine;
    if (this.#error !== undefined) {
      // A fresh error per call, so the message is the load error's and no stack is shared.
      return failWith(this.#error);
    }
    throw new FlorenceErrorClass(
      "unavailable",
      "the model is still loading; retry when grpc.health.v1.Health reports SERVING",
    );
  }

  /**
   * Closes the engine. A load still in progress is waited for up to `loadWaitMs` (a model download
   * can take minutes and cannot be cancelled through the engine interface); after that, close()
   * returns false and the engine is closed as soon as it finishes loading.
   */
  async close(loadWaitMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = Symbol("gave up");
    const waited = await Promise.race([
      this.ready,
      new Promise<typeof gaveUp>((resolve) => {
        timer = setTimeout(() => resolve(gaveUp), loadWaitMs);
      }),
    ]);
    clearTimeout(timer);
    if (waited === gaveUp) {
      void this.ready.then((engine) => engine?.close());
      return false;
    }
    await waited?.close();
    return true;
  }
}

function failWith(error: FlorenceError): never {
  throw new FlorenceErrorClass(error.kind, error.message, { cause: error, violations: error.violations });
}

/**
 * Follows a loaded engine's availability into health: NOT_SERVING while none of its workers can
 * run (calls get UNAVAILABLE meanwhile), SERVING again once one can, each change logged with the
 * cause for operators. Changes while the server drains are ignored: draining stays NOT_SERVING.
 * Returns the unsubscribe function.
 */
export function followEngineAvailability(
  engine: FlorenceEngine,
  target: { readonly health: HealthRegistry; readonly logger: Logger; readonly draining: () => boolean },
): () => void {
  return (
    engine.onAvailabilityChange?.((availability: EngineAvailability) => {
      if (target.draining()) return;
      if (availability.available) {
        target.health.setAll(ServingStatus.SERVING);
        target.logger({ level: "info", msg: "an inference worker is running again: serving" });
      } else {
        target.health.setAll(ServingStatus.NOT_SERVING);
        target.logger({
          level: "error",
          msg: "no inference worker can run: NOT_SERVING, calls get UNAVAILABLE until a replacement starts",
          cause: describeCause(availability.cause),
        });
      }
    }) ?? (() => {})
  );
}
