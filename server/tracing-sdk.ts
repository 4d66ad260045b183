/**
 * The OpenTelemetry SDK for `--otlp-endpoint`: a tracer provider that batches spans and exports
 * them as OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, the way OTEL_EXPORTER_OTLP_ENDPOINT is read
 * by every OpenTelemetry SDK. The server makes one only when an endpoint is set; it is never
 * registered globally, so an embedding application's own tracing setup is left alone.
 */
import type { TracerProvider } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** The service.name of the exported spans. */
export const SERVICE_NAME = "florence2";

/** A provider the server started, with what flushes and stops it on close. */
export interface OwnedTracerProvider {
  readonly provider: TracerProvider;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** `endpoint` (a base URL, e.g. http://collector:4318) with the OTLP/HTTP traces path appended. */
export function otlpTracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

/** Starts a tracer provider exporting to `endpoint` over OTLP/HTTP. */
export function startOtlpTracing(endpoint: string): OwnedTracerProvider {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(endpoint) }))],
  });
  return { provider, shutdown: () => provider.shutdown() };
}
