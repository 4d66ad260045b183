/**
 * createFlorenceServer: FlorenceService, ModelService, grpc.health.v1 and gRPC reflection on one
 * port, over gRPC, gRPC-Web and Connect, HTTP/2 cleartext and HTTP/1.1.
 *
 * Operators get GET /metrics, /healthz and /readyz on the same port (server/operations.ts).
 *
 * Shutdown (close): health and /readyz -> NOT_SERVING first; after shutdownDelayMs (load balancers
 * stop sending meanwhile) new calls -> UNAVAILABLE; stop accepting connections and announce
 * GOAWAY on every HTTP/2 session (the listener's announceShutdown); wait up to graceMs for calls
 * in flight (streams answer what they have read, then end with UNAVAILABLE); abort whatever is
 * left (handler signals reach the engine); close every session, destroy what is still open
 * shortly after; close the engine.
 */
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { FlorenceService } from "../gen/florence/v1/florence_service_pb.js";
import { ModelService } from "../gen/florence/v1/model_service_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { FlorenceEngine } from "../models/engine.js";
import { AdmissionQueue, SlotLimit } from "./admission.js";
import { connectionContextValues, type ServiceDeps } from "./call-context.js";
import { CallTracker } from "./call-tracker.js";
import { withCors } from "./cors.js";
import { answerDecodeErrorsAsInvalidArgument } from "./errors.js";
import { createFlorenceService } from "./florence-service.js";
import { createHealthService, HealthRegistry, ServingStatus } from "./health.js";
import { followModels } from "./model-health.js";
import { ModelRegistry, type ModelSource, modelNameProblem } from "./model-registry.js";
import { DualProtocolListener } from "./listener.js";
import { withOperatorEndpoints } from "./http-endpoints.js";
import { atLevel, describeCause } from "./logger.js";
import { createModelService } from "./model-service.js";
import { createOperations } from "./operations.js";
import type { ServerOptions } from "./options.js";
import { makeServerOptions } from "./options.js";
import { createSecurity, type ReloadResult } from "./security.js";
import { buildReflectionIndex, createReflectionV1alphaService, createReflectionV1Service } from "./reflection.js";
import { findBuiltUi, loadUiAssets, withUiAssets } from "./ui-assets.js";

/** After GOAWAY, how long sessions get to end on their own before they are destroyed. */
const SESSION_CLOSE_TIMEOUT_MS = 1000;

export interface FlorenceServerInit extends Partial<ServerOptions> {
  /**
   * One engine, or a promise of it: health reports NOT_SERVING until it resolves. Give this or
   * `models`. Its model is named by its id (or "default" for a promise) and cannot be unloaded.
   */
  readonly engine?: FlorenceEngine | Promise<FlorenceEngine>;
  /**
   * Several named models the server loads itself (server/model-registry.ts), the default one at
   * start; ServerOptions.defaultModel, preloadModels, maxLoadedModels and modelMemoryMb apply, and
   * grpc.health.v1 has an entry per model name.
   */
  readonly models?: readonly ModelSource[];
}

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** "http://host:port", for client transports' baseUrl. */
  readonly url: string;
  /** The port of ServerOptions.metricsPort's listener (its own number when 0 was asked), when set. */
  readonly metricsPort?: number;
}

export interface CloseOptions {
  /** How long calls in flight may take to finish before they are aborted. Default: ServerOptions.shutdownGraceMs. */
  readonly graceMs?: number;
}

export interface FlorenceServer {
  readonly options: Readonly<ServerOptions>;
  /** Service statuses; SERVING once the engine has loaded. */
  readonly health: HealthRegistry;
  /** Resolves true once the engine has loaded, false if loading failed (the error is logged). */
  readonly ready: Promise<boolean>;
  /** Starts listening on options.host:options.port. */
  listen(): Promise<ServerAddress>;
  /** Graceful shutdown (see the file comment). Idempotent: later calls return the same promise. */
  close(options?: CloseOptions): Promise<void>;
  /** Resolves when a close() has finished. */
  readonly closed: Promise<void>;
  /** True once close() has been called. */
  readonly closing: boolean;
  /**
   * Re-reads the TLS certificate files and the tokens file (the CLI calls it on SIGHUP). New
   * connections get the new certificates, open ones keep theirs; new calls are checked against the
   * new tokens. A part whose files are bad keeps its previous state and logs an error.
   */
  reload(): ReloadResult;
}

/** The services this server registers, for health and reflection. */
export const SERVED_SERVICES: readonly DescService[] = [
  FlorenceService,
  ModelService,
  Health,
  ServerReflectionV1,
  ServerReflectionV1alpha,
];

// Long on purpose: the wiring of every part (services, security, operations, listener) and the
// shutdown sequence in the order they must run, each step a call into its own file.
export function createFlorenceServer(init: FlorenceServerInit): FlorenceServer {
  const { engine: engineInit, models: modelSources, ...rest } = init;
  const given = makeServerOptions(rest);
  const options = Object.freeze({ ...given, logger: atLevel(given.logger, given.logLevel) });
  const logger = options.logger;
  const security = createSecurity(options);
  /** Set when close() starts: readiness stays NOT_SERVING from then on, before the drain. */
  let notReady = false;
  const models = createModelRegistry({ engine: engineInit, models: modelSources }, options);
  const perModelHealth = modelSources !== undefined;
  const services = [FlorenceService.typeName, ModelService.typeName];
  const health = new HealthRegistry(perModelHealth ? [...services, ...models.names] : services);
  const admission = new AdmissionQueue({
    maxConcurrent: options.maxConcurrentRequests,
    maxQueued: options.maxQueuedRequests,
  });
  const operations = createOperations(options, {
    models,
    labelByModel: perModelHealth,
    admission,
    health,
    closing: () => notReady,
  });
  const deps: ServiceDeps = {
    options,
    models,
    admission,
    streams: new SlotLimit(options.maxConcurrentStreams),
    calls: new CallTracker(),
    logger,
    metrics: operations.metrics,
    tracer: operations.tracer,
  };
  const reflection = buildReflectionIndex(SERVED_SERVICES);
  const shutdown = new AbortController();
  // connect-node links every in-flight call to this signal: more than ten calls at once are normal
  // (bounded by the admission limits), not the listener leak Node's warning is meant to catch.
  setMaxListeners(0, shutdown.signal);

  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(FlorenceService, createFlorenceService(deps));
      router.service(ModelService, createModelService(deps));
      router.service(Health, createHealthService(health));
      router.service(ServerReflectionV1, createReflectionV1Service(reflection));
      router.service(ServerReflectionV1alpha, createReflectionV1alphaService(reflection));
      answerDecodeErrorsAsInvalidArgument(router, logger, deps.metrics);
    },
    readMaxBytes: options.readMaxBytes,
    shutdownSignal: shutdown.signal,
    interceptors: security.interceptors,
    contextValues: (req) => security.addConnectionValues(connectionContextValues(req.socket), req.socket),
  });
  if (options.corsAllowedOrigins.includes("*")) {
    logger({
      level: "warn",
      msg: "CORS allows every origin (*): any web page a user opens may call this server; list the real origins outside development",
    });
  }
  // The try-it page (--ui) is answered before CORS: it is same-origin and not an RPC.
  const ui = options.ui ? loadUiAssets(options.uiDir ?? findBuiltUi()) : undefined;
  const listener = new DualProtocolListener(
    withOperatorEndpoints(withUiAssets(withCors(handler, options.corsAllowedOrigins), ui), operations.endpoints),
    security.listenerOptions,
  );

  let loadedAtStart = false;
  const following = followModels(models, {
    health,
    logger,
    services: ["", ...services],
    perModel: perModelHealth,
    phase: () => ({ ready: loadedAtStart, draining: notReady }),
  });
  const startupLoad = (name: string) =>
    models.preload(name).then((engine) => {
      const failure = models.view(name).loadError;
      if (engine === undefined && !notReady) {
        logger({
          level: "error",
          msg: "model failed to load",
          model: name,
          cause: describeCause(failure?.cause ?? failure),
        });
      } else if (engine !== undefined) {
        logger({ level: "info", msg: "model loaded", model: name });
      }
      return engine !== undefined;
    });
  // The other models load at start too with preloadModels, else on their first request.
  if (options.preloadModels) for (const name of models.names.slice(1)) void startupLoad(name);
  const ready = startupLoad(models.defaultName).then((loaded) => {
    loadedAtStart = loaded;
    following.update();
    return loaded;
  });

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = async (graceMs: number): Promise<void> => {
    notReady = true;
    health.setAll(ServingStatus.NOT_SERVING);
    if (options.shutdownDelayMs > 0) {
      logger({ level: "info", msg: `not ready; still serving for ${options.shutdownDelayMs} ms before the drain` });
      await sleep(options.shutdownDelayMs);
    }
    const deadline = performance.now() + graceMs;
    deps.calls.startDrain();
    logger({ level: "info", msg: "draining" });
    const closed = listener.stopAccepting();
    // GOAWAY now, not once idle: calls in flight finish on their sessions, while clients and
    // proxies (nginx, connect's and grpc-js' transports) send their next calls on a new
    // connection, which reaches another replica, instead of being refused here until the drain ends.
    listener.announceShutdown();
    const idle = await deps.calls.whenIdle(graceMs);
    if (!idle) logger({ level: "warn", msg: `grace period of ${graceMs} ms over with calls in flight; aborting them` });
    // Ends what is still running: long-lived Watch and reflection streams, and overdue work
    // (the abort reaches the engine through the handler signals).
    shutdown.abort(new ConnectError("the server is shutting down", Code.Unavailable));
    listener.closeSessions();
    let destroyedConnections = 0;
    const timer = setTimeout(() => {
      destroyedConnections = listener.destroyAll();
    }, SESSION_CLOSE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
    following.stop();
    if (!(await models.close(Math.max(0, deadline - performance.now())))) {
      logger({ level: "warn", msg: "closed while the model was still loading; it will be closed once loaded" });
    }
    await operations.close();
    logger({ level: destroyedConnections > 0 ? "warn" : "info", msg: "closed", destroyedConnections });
    markClosed();
  };

  return {
    options,
    health,
    ready,
    closed,
    get closing() {
      return closing !== undefined;
    },
    async listen() {
      const address = await listener.listen(options.port, options.host);
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      const metricsPort = await operations.listen();
      const url = `${listener.secure ? "https" : "http"}://${host}:${address.port}`;
      const result = {
        host: address.address,
        port: address.port,
        url,
        ...(metricsPort === undefined ? {} : { metricsPort }),
      };
      logger({ level: "info", msg: "listening", address: result.url });
      if (metricsPort !== undefined)
        logger({ level: "info", msg: "metrics listening", address: `http://${host}:${metricsPort}/metrics` });
      return result;
    },
    reload() {
      return security.reload((material) => listener.setSecureContext(material.secureContext));
    },
    close(closeOptions = {}) {
      closing ??= close(closeOptions.graceMs ?? options.shutdownGraceMs);
      return closing;
    },
  };
}

const MIB = 1024 * 1024;

/** The server's models: `models` as given, or the one `engine` (named by its id, "default" for a promise). */
export function createModelRegistry(
  init: {
    readonly engine?: FlorenceEngine | Promise<FlorenceEngine> | undefined;
    readonly models?: readonly ModelSource[] | undefined;
  },
  options: {
    readonly defaultModel: string | undefined;
    readonly maxLoadedModels: number;
    readonly modelMemoryMb: number;
  },
): ModelRegistry {
  const budget = { maxLoaded: options.maxLoadedModels, maxBytes: options.modelMemoryMb * MIB };
  if (init.models !== undefined) {
    if (init.engine !== undefined) throw new TypeError("FlorenceServerInit takes an engine or models, not both");
    return new ModelRegistry(init.models, budget, options.defaultModel);
  }
  const engine = init.engine;
  if (engine === undefined) throw new TypeError("FlorenceServerInit needs an engine or models");
  const id = "info" in engine ? engine.info.id : undefined;
  const name = id !== undefined && modelNameProblem(id) === undefined ? id : "default";
  return new ModelRegistry([{ name, load: () => Promise.resolve(engine), reloadable: false }], budget);
}
