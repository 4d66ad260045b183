/**
 * Tracing: with the SDK's in-memory exporter, a call that sends a W3C traceparent gets a server
 * span continuing that trace, with the admission-queue and stage spans under it, and its log line
 * names the same trace; a stream gets one span per frame that reached the engine. End to end, a
 * server started with otlpEndpoint exports its spans over OTLP/HTTP to a receiver this test runs.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { BackpressureMode } from "../../gen/florence/v1/frames_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import type { RequestLogEntry } from "../../server/logger.js";
import { otlpTracesUrl } from "../../server/tracing-sdk.js";
import { STAGE_SPANS } from "../../server/tracing.js";
import { client, rawImage, startTestServer } from "../server/harness.js";
import { ReportingEngine, STAGES } from "./support.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;

function inMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, provider };
}

const durationMs = (span: ReadableSpan) => span.duration[0] * 1000 + span.duration[1] / 1e6;

describe("tracing", () => {
  it("continues the caller's trace: one server span per RPC, queue and stage spans under it", async () => {
    const { exporter, provider } = inMemoryTracing();
    // The call takes 50 ms, longer than the reported stages (21 ms), so none is clamped.
    const s = await startTestServer({ fake: new ReportingEngine({ delayMs: 50 }), tracerProvider: provider });
    try {
      await client(FlorenceService, s.url).captionImage(
        { images: [rawImage(4, 4)] },
        { headers: { traceparent: TRACEPARENT } },
      );
      const spans = exporter.getFinishedSpans();
      const rpc = spans.find((x) => x.kind === SpanKind.SERVER);
      expect(rpc?.name).toBe("florence.v1.FlorenceService/CaptionImage");
      expect(rpc?.spanContext().traceId).toBe(TRACE_ID);
      expect(rpc?.parentSpanContext?.spanId).toBe(PARENT_SPAN);
      expect(rpc?.attributes).toMatchObject({
        "rpc.system": "grpc",
        "rpc.method": "CaptionImage",
        "rpc.grpc.status_code": 0,
      });
      const children = spans.filter((x) => x.parentSpanContext?.spanId === rpc?.spanContext().spanId);
      expect(children.map((x) => x.name)).toEqual(["admission_queue", ...STAGE_SPANS]);
      expect(children.every((x) => x.spanContext().traceId === TRACE_ID)).toBe(true);
      // Stage spans are as long as the engine reported.
      expect(durationMs(children.find((x) => x.name === "decoder")!)).toBeCloseTo(STAGES.decoderMs, 1);
      const line = s.logs.find((e): e is RequestLogEntry => e.msg === "request");
      expect(line?.traceId).toBe(TRACE_ID);
    } finally {
      await s.server.close();
      await provider.shutdown();
    }
  });

  it("starts a new trace without a traceparent, and marks server faults as errors", async () => {
    const { exporter, provider } = inMemoryTracing();
    const s = await startTestServer({ fake: new ReportingEngine(), tracerProvider: provider });
    try {
      const image = { source: { case: "encoded" as const, value: new TextEncoder().encode("BOOM") } };
      await expect(client(FlorenceService, s.url).captionImage({ images: [image] })).rejects.toThrow();
      const rpc = exporter.getFinishedSpans().find((x) => x.kind === SpanKind.SERVER);
      expect(rpc?.parentSpanContext).toBeUndefined();
      expect(rpc?.status.code).toBe(SpanStatusCode.ERROR);
      const line = s.logs.find((e): e is RequestLogEntry => e.msg === "request");
      expect(line?.traceId).toBe(rpc?.spanContext().traceId);
    } finally {
      await s.server.close();
      await provider.shutdown();
    }
  });

  it("gives each stream frame its own span under the stream's", async () => {
    const { exporter, provider } = inMemoryTracing();
    const s = await startTestServer({ fake: new ReportingEngine(), tracerProvider: provider });
    try {
      const frames = async function* () {
        yield {
          message: {
            case: "config" as const,
            value: { task: { task: Task.CAPTION }, backpressure: BackpressureMode.QUEUE },
          },
        };
        for (const id of [1, 2, 3])
          yield { message: { case: "frame" as const, value: { frameId: BigInt(id), image: rawImage(3, 3) } } };
      };
      for await (const _ of client(FlorenceService, s.url).streamFrames(frames())) {
        // drain
      }
      const spans = exporter.getFinishedSpans();
      const rpc = spans.find((x) => x.kind === SpanKind.SERVER);
      const frameSpans = spans.filter((x) => x.name === "stream_frame");
      expect(frameSpans).toHaveLength(3);
      expect(frameSpans.every((x) => x.parentSpanContext?.spanId === rpc?.spanContext().spanId)).toBe(true);
      const underFirst = spans.filter((x) => x.parentSpanContext?.spanId === frameSpans[0]?.spanContext().spanId);
      expect(underFirst.map((x) => x.name)).toEqual(["admission_queue", ...STAGE_SPANS]);
    } finally {
      await s.server.close();
      await provider.shutdown();
    }
  });

  it("exports over OTLP/HTTP to otlpEndpoint (flushed on close)", async () => {
    const received: { path: string; contentType: string; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        received.push({ path: req.url ?? "", contentType: String(req.headers["content-type"]), body });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      const s = await startTestServer({ fake: new ReportingEngine(), otlpEndpoint: endpoint });
      await client(FlorenceService, s.url).captionImage(
        { images: [rawImage(4, 4)] },
        { headers: { traceparent: TRACEPARENT } },
      );
      await s.server.close();
      expect(received.length).toBeGreaterThan(0);
      expect(received[0]?.path).toBe("/v1/traces");
      expect(received[0]?.contentType).toMatch(/^application\/json/);
      const exported = received.map((r) => r.body).join("\n");
      expect(exported).toContain('"florence.v1.FlorenceService/CaptionImage"');
      expect(exported).toContain(TRACE_ID);
      expect(exported).toContain('"decoder"');
      expect(exported).toContain('"florence2"');
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it.each([
    ["http://collector:4318", "http://collector:4318/v1/traces"],
    ["http://collector:4318/", "http://collector:4318/v1/traces"],
    ["https://c.example/otlp/v1/traces", "https://c.example/otlp/v1/traces"],
  ])("otlpTracesUrl(%s) = %s", (endpoint, url) => {
    expect(otlpTracesUrl(endpoint)).toBe(url);
  });
});
