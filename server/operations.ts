/**
 * The operator's view of one server, wired from its parts: the Prometheus metrics and where they
 * read from, the tracer (when tracing is on), the liveness and readiness probes, and the optional
 * metrics port. server.ts creates it and hands the metrics and tracer to the handlers.
 */
import type { Tracer } from "@opentelemetry/api";
import type { EngineStats, FlorenceEngine } from "../models/engine.js";
import type { AdmissionQueue } from "./admission.js";
import type { HealthRegistry } from "./health.js";
import { ServingStatus } from "./health.js";
import {
  listenOperatorEndpoints,
  type MetricsListener,
  type OperatorEndpoints,
  type ProbeResult,
} from "./http-endpoints.js";
import { ServerMetrics } from "./metrics.js";
import type { ModelRegistry } from "./model-registry.js";
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
  readonly models: ModelRegistry;
  /** Label metrics by model (a server started with named models). */
  readonly labelByModel: boolean;
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
  const metrics = new ServerMetrics(
    {
      queueDepth: () => parts.admission.waiting,
      engineStats: () => engineStatsWithin(parts.models, ENGINE_STATS_TIMEOUT_MS),
      modelLoadSeconds: () => loadSecondsOf(parts.models),
    },
    parts.labelByModel,
  );
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

/** Liveness: fails while the default model's last load has failed or none of its inference workers can run. */
export function liveness(parts: Pick<OperatedParts, "models">): ProbeResult {
  const model = parts.models.view(parts.models.defaultName);
  if (model.state === "failed") return { ok: false, detail: "the model failed to load" };
  if (model.state === "loaded" && !model.workersAvailable) return { ok: false, detail: "no inference worker can run" };
  return { ok: true, detail: "ok" };
}

/** Readiness: the server's grpc.health.v1 status, with the reason when it is not SERVING. */
export function readiness(parts: OperatedParts): ProbeResult {
  if (parts.health.get("") === ServingStatus.SERVING) return { ok: true, detail: "ok" };
  const model = parts.models.view(parts.models.defaultName);
  const detail = parts.closing()
    ? "draining"
    : model.state === "failed"
      ? "the model failed to load"
      : model.state !== "loaded"
        ? "the model is loading"
        : "no inference worker can run";
  return { ok: false, detail };
}

/** Each loaded model's counters, by name; one that does not answer within `timeoutMs` is left out. */
async function engineStatsWithin(models: ModelRegistry, timeoutMs: number): Promise<Map<string, EngineStats>> {
  const read = await Promise.all(
    models.views().map(async (view) => {
      const stats = view.engine === undefined ? undefined : await statsWithin(view.engine, timeoutMs);
      return [view.name, stats] as const;
    }),
  );
  return new Map(read.flatMap(([name, stats]) => (stats === undefined ? [] : [[name, stats] as const])));
}

function loadSecondsOf(models: ModelRegistry): Map<string, number> {
  return new Map(
    models.names.flatMap((name) => {
      const seconds = models.loadSeconds(name);
      return seconds === undefined ? [] : [[name, seconds] as const];
    }),
  );
}

/** An engine's counters, or undefined when it does not answer within `timeoutMs`. */
async function statsWithin(engine: FlorenceEngine, timeoutMs: number): Promise<EngineStats | undefined> {
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
