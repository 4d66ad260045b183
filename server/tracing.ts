/**
 * OpenTelemetry spans of a call, through @opentelemetry/api only (the SDK is set up in
 * tracing-sdk.ts, and only when tracing is on). One server span per RPC, continuing the caller's
 * W3C `traceparent`; under it, per engine call, an admission-queue span and the engine's stage
 * spans; for StreamFrames one span per frame that reached the engine, with that frame's spans
 * under it. The stage spans are made after the fact from the RunTimings the engine reports
 * (core/timings.ts), with explicit start and end times laid out in pipeline order from the call's
 * start: their lengths are measured, their positions approximate (a batch's stages are shared with
 * the other calls in it). Without a tracer nothing here runs, so tracing off costs nothing per call.
 */
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, TraceFlags, trace } from "@opentelemetry/api";
import type { Code } from "@connectrpc/connect";
import type { RunTimings } from "../core/timings.js";
import { isServerFault } from "./errors.js";
import type { TraceParent } from "./request-id.js";

/** The instrumentation scope name of every span the server makes. */
export const TRACER_NAME = "florence2-server";

/** The span names under an RPC, in pipeline order after the admission queue. */
export const STAGE_SPANS = ["preprocess", "engine_queue", "vision", "encoder", "decoder", "postprocess"] as const;

/** The RunTimings field that measures each stage span. */
const STAGE_FIELD: Readonly<Record<(typeof STAGE_SPANS)[number], keyof RunTimings>> = {
  preprocess: "preprocessMs",
  engine_queue: "queueMs",
  vision: "visionMs",
  encoder: "encoderMs",
  decoder: "decoderMs",
  postprocess: "postprocessMs",
};

export interface RpcSpanInit {
  /** "florence.v1.FlorenceService/CaptionImage". */
  readonly method: string;
  readonly parent: TraceParent | undefined;
  readonly requestId: string;
  readonly peer: string;
  /** "grpc", "grpc_web" or "connect". */
  readonly protocol: string;
}

/** Starts the server span of an RPC, as a child of the caller's span when it sent a traceparent. */
export function startRpcSpan(tracer: Tracer, init: RpcSpanInit): Span {
  const parentContext =
    init.parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: init.parent.traceId,
          spanId: init.parent.parentSpanId,
          traceFlags: init.parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  const slash = init.method.indexOf("/");
  return tracer.startSpan(
    init.method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "rpc.system": "grpc",
        "rpc.service": init.method.slice(0, slash),
        "rpc.method": init.method.slice(slash + 1),
        "florence2.protocol": init.protocol,
        "florence2.request_id": init.requestId,
        "network.peer.address": init.peer,
      },
    },
    parentContext,
  );
}

/** Ends an RPC's span with its gRPC status; server faults (not client mistakes) mark it as an error. */
export function endRpcSpan(span: Span, code: Code | undefined, message: string | undefined): void {
  span.setAttribute("rpc.grpc.status_code", code ?? 0);
  if (code !== undefined && isServerFault(code))
    span.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
  span.end();
}

/** A span under `parent` that starts now (a stream frame); end it with endChildSpan. */
export function startChildSpan(tracer: Tracer, parent: Span, name: string): Span {
  return tracer.startSpan(name, { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, parent));
}

/** Ends a child span, marking it failed when `error` is given. */
export function endChildSpan(span: Span, error: unknown): void {
  if (error !== undefined)
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/** When one engine call waited and ran, in performance.now() ms. */
export interface EngineCallTimes {
  /** The call asked for an admission slot. */
  readonly queuedAt: number;
  /** It got one and the engine call started. */
  readonly admittedAt: number;
  /** The engine call returned or failed. */
  readonly endedAt: number;
}

/**
 * Records one engine call under `parent`: its admission-queue span, then its stage spans when the
 * engine reported timings, each clamped to end by the time the call ended.
 */
export function recordEngineCall(
  tracer: Tracer,
  parent: Span,
  times: EngineCallTimes,
  stages: RunTimings | undefined,
): void {
  const context = trace.setSpan(ROOT_CONTEXT, parent);
  // OpenTelemetry reads a number below the time origin as performance.now() milliseconds.
  const span = (name: string, start: number, end: number) =>
    tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: start }, context).end(Math.max(start, end));
  span("admission_queue", times.queuedAt, times.admittedAt);
  if (stages === undefined) return;
  let at = times.admittedAt;
  for (const name of STAGE_SPANS) {
    const end = Math.min(times.endedAt, at + stages[STAGE_FIELD[name]]);
    span(name, at, end);
    at = end;
  }
}
