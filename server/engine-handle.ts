/**
 * The engine as the server sees it while it may still be loading: `get()` returns it once loaded,
 * and otherwise throws the FlorenceError the client should see (`unavailable` while loading, the
 * load failure after a failed load).
 */
import type { FlorenceEngine } from "../models/engine.js";
import type { FlorenceError } from "../models/errors.js";
import { FlorenceError as FlorenceErrorClass, toFlorenceError } from "../models/errors.js";

export class EngineHandle {
  #engine: FlorenceEngine | undefined;
  #error: FlorenceError | undefined;
  /** Settles when loading ends: the engine, or undefined when it failed (see `loadError`). */
  readonly ready: Promise<FlorenceEngine | undefined>;

  constructor(engine: FlorenceEngine | Promise<FlorenceEngine>) {
    this.ready = Promise.resolve(engine).then(
      (loaded) => {
        this.#engine = loaded;
        return loaded;
      },
      (e: unknown) => {
        this.#error = toFlorenceError(e);
        return undefined;
      },
    );
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

  /** Closes the engine, waiting for a load in progress first. */
  async close(): Promise<void> {
    const engine = await this.ready;
    await engine?.close();
  }
}

function failWith(error: FlorenceError): never {
  throw new FlorenceErrorClass(error.kind, error.message, { cause: error, violations: error.violations });
}
