/**
 * The operator's view of one server, wired from its parts: the Prometheus metrics and where they
 * read from, the tracer (when tracing is on), the liveness and readiness probes, and the optional
 * metrics port. server.ts creates it and hands the metrics and tracer to the handlers.
 */
import type { Tracer } from "@opentelemetry/api";
import type { EngineStats } from "../models/engine.js";
import type { AdmissionQueue } from "./admission.js";
import type { EngineHandle } from "./engine-handle.js";
import type { HealthRegistry } from "./health.js";
import { ServingStatus } from "./health.js";
import {
  listenOperatorEndpoints,
  type MetricsListener,
  type OperatorEndpoints,
  type ProbeResult,
} from "./http-endpoints.js";
import { ServerMetrics } from "./metrics.js";
import type { ServerOptions } from "./options.js";
import { startOtlpTracing, type OwnedTracerProvider } from "./tracing-sdk.js";
import { TRACER_NAME } from "./tracing.js";

/**
 * How long a scrape waits for the engine's counters, in ms: a worker answers between model
 * passes, and a scrape should not hang on a long one (the engine metrics then keep their values).
 */
const ENGINE_STATS_TIMEOUT_MS = 1000;

/** The server parts the probes and metrics read. */
export interface OperatedParts {
  readonly engine: EngineHandle;
  readonly admission: AdmissionQueue;
  readonly health: HealthRegistry;
  /** True from the start of close(): readiness fails from then on, before the drain. */
  readonly closing: () => boolean;
}

export interface Operations {
  readonly metrics: ServerMetrics;
  /** Set when tracing is on: ServerOptions.tracerProvider, or a provider for otlpEndpoint. */
  readonly tracer: Tracer | undefined;
  readonly endpoints: OperatorEndpoints;
  /** Starts the metrics port when ServerOptions.metricsPort is set; resolves its port number. */
  listen(): Promise<number | undefined>;
  /** Stops the metrics port and exports the spans still buffered by a provider the server started. */
  close(): Promise<void>;
}

export function createOperations(options: Readonly<ServerOptions>, parts: OperatedParts): Operations {
  const owned: OwnedTracerProvider | undefined =
    options.tracerProvider === undefined && options.otlpEndpoint !== undefined
      ? startOtlpTracing(options.otlpEndpoint)
      : undefined;
  const provider = options.tracerProvider ?? owned?.provider;
  const metrics = new ServerMetrics({
    queueDepth: () => parts.admission.waiting,
    engineStats: () => engineStatsWithin(parts.engine, ENGINE_STATS_TIMEOUT_MS),
    modelLoadSeconds: () => parts.engine.loadSeconds,
  });
  const endpoints: OperatorEndpoints = {
    metrics: async () => ({ contentType: metrics.contentType, text: await metrics.metrics() }),
    liveness: () => liveness(parts),
    readiness: () => readiness(parts),
  };
  let listener: MetricsListener | undefined;
  return {
    metrics,
    tracer: provider?.getTracer(TRACER_NAME),
    endpoints,
    async listen() {
      if (options.metricsPort === undefined) return undefined;
      listener ??= await listenOperatorEndpoints(options.host, options.metricsPort, endpoints);
      return listener.port;
    },
    async close() {
      await Promise.all([listener?.close(), owned?.shutdown().catch(() => {})]);
    },
  };
}

/** Liveness: fails once loading has failed or while no inference worker can run. */
export function liveness(parts: Pick<OperatedParts, "engine">): ProbeResult {
  if (parts.engine.alive) return { ok: true, detail: "ok" };
  return {
    ok: false,
    detail: parts.engine.loadError !== undefined ? "the model failed to load" : "no inference worker can run",
  };
}

/** Readiness: the server's grpc.health.v1 status, with the reason when it is not SERVING. */
export function readiness(parts: OperatedParts): ProbeResult {
  if (parts.health.get("") === ServingStatus.SERVING) return { ok: true, detail: "ok" };
  const detail = parts.closing()
    ? "draining"
    : parts.engine.loadError !== undefined
      ? "the model failed to load"
      : parts.engine.peek() === undefined
        ? "the model is loading"
        : "no inference worker can run";
  return { ok: false, detail };
}

/** The engine's counters, or undefined when it has not loaded or does not answer within `timeoutMs`. */
async function engineStatsWithin(handle: EngineHandle, timeoutMs: number): Promise<EngineStats | undefined> {
  const engine = handle.peek();
  if (engine === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([engine.stats().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
