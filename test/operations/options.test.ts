/** The operations block of ServerOptions and its flags: checks at startup, and OTEL_EXPORTER_OTLP_ENDPOINT. */
import { describe, expect, it } from "vitest";
import { parseServerFlags } from "../../cli/server-flags.js";
import { makeServerOptions, type ServerOptions } from "../../server/options.js";

describe("operations options", () => {
  it("defaults: info logs, no metrics port, tracing off, no shutdown delay", () => {
    expect(makeServerOptions()).toMatchObject({
      logLevel: "info",
      metricsPort: undefined,
      otlpEndpoint: undefined,
      tracerProvider: undefined,
      shutdownDelayMs: 0,
    });
  });

  it.each([
    [{ logLevel: "verbose" }, TypeError, /logLevel must be one of debug, info, warn, error/],
    [{ metricsPort: 70_000 }, RangeError, /metricsPort/],
    [{ metricsPort: 1.5 }, RangeError, /metricsPort/],
    [{ otlpEndpoint: "collector:4318" }, TypeError, /otlpEndpoint must be an http\(s\) URL/],
    [{ shutdownDelayMs: -1 }, RangeError, /shutdownDelayMs/],
  ])("rejects %j", (options, type, message) => {
    expect(() => makeServerOptions(options as unknown as Partial<ServerOptions>)).toThrow(type);
    expect(() => makeServerOptions(options as unknown as Partial<ServerOptions>)).toThrow(message);
  });

  it("flags set them; OTEL_EXPORTER_OTLP_ENDPOINT is read after the flag and FLORENCE2_OTLP_ENDPOINT", () => {
    const values = { "log-level": "warn", "metrics-port": "9464", "shutdown-delay-ms": "5000" };
    expect(parseServerFlags(values, {}).options).toEqual({
      logLevel: "warn",
      metricsPort: 9464,
      shutdownDelayMs: 5000,
    });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318" };
    expect(parseServerFlags({}, otel).options.otlpEndpoint).toBe("http://otel:4318");
    expect(parseServerFlags({}, { ...otel, FLORENCE2_OTLP_ENDPOINT: "http://ours:4318" }).options.otlpEndpoint).toBe(
      "http://ours:4318",
    );
    expect(parseServerFlags({ "otlp-endpoint": "http://flag:4318" }, otel).options.otlpEndpoint).toBe(
      "http://flag:4318",
    );
  });
});
