/**
 * The typed Florence-2 client for browsers: gRPC-Web or Connect over fetch
 * (@connectrpc/connect-web). Plain gRPC and streamFrames need HTTP/2 request streaming, which
 * fetch does not offer; use the Node entry (or a proxy) for those. Images are bytes or raw pixels:
 * a browser has no file paths.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createFlorenceClientOnTransport, type FlorenceClient } from "./client.js";
import { clientDefaults, clientInterceptors, type FlorenceClientInit } from "./options.js";

export { Code, ConnectError } from "@connectrpc/connect";
export type {
  ClientSettings,
  FlorenceClient,
  ModelChoice,
  ServedModel,
  ServedModelList,
  ServedModelState,
} from "./client.js";
export { createFlorenceClientOnTransport } from "./client.js";
export type { PartialTextEvent, RunResultEvent, RunStreamEvent, RunStreamOptions } from "./run-stream.js";
export {
  badRequestOf,
  type ErrorReason,
  errorInfoOf,
  type FieldViolation,
  type RetryAdvice,
  retryInfoOf,
} from "./error-details.js";
export type * from "./inputs.js";
export type { FlorenceClientInit, FlorenceClientOptions, Protocol } from "./options.js";
export type * from "./results.js";
export type { RetryEvent, RetryOptions, RetryOptionsInit } from "./retry.js";
export { createRetryInterceptor, retryDefaults } from "./retry.js";
// Drawing results: annotateCanvas paints on a canvas; annotationSvg makes an SVG overlay (no sharp).
export * from "./annotate/index.js";

export type BrowserProtocol = "grpc-web" | "connect";

function createBrowserTransport(baseUrl: string, protocol: BrowserProtocol, interceptors: Interceptor[]): Transport {
  switch (protocol) {
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors });
    case "connect":
      return createConnectTransport({ baseUrl, interceptors });
    default:
      throw new TypeError(
        `createFlorenceClient: unknown protocol ${JSON.stringify(protocol)}; browsers can use "grpc-web" or "connect"`,
      );
  }
}

async function refuseFilePath(path: string): Promise<Uint8Array> {
  throw new TypeError(
    `cannot read ${JSON.stringify(path)}: file paths work in Node only; pass the image bytes (e.g. from fetch or a File)`,
  );
}

export function createFlorenceClient(init: FlorenceClientInit<BrowserProtocol>): FlorenceClient {
  const transport =
    init.transport ??
    createBrowserTransport(
      "baseUrl" in init ? init.baseUrl : "",
      init.protocol ?? "grpc-web",
      clientInterceptors(init.retry),
    );
  return createFlorenceClientOnTransport(transport, {
    headers: init.headers ?? clientDefaults.headers,
    token: init.token ?? clientDefaults.token,
    timeoutMs: init.timeoutMs ?? clientDefaults.timeoutMs,
    model: init.model ?? clientDefaults.model,
    readFile: refuseFilePath,
    // fetch cannot stream a request body in both directions; a custom transport may be able to.
    ...(init.transport === undefined
      ? {
          noBidiStreaming:
            "streamFrames needs HTTP/2 bidirectional streaming, which browsers' fetch cannot do; call it from Node",
        }
      : {}),
  });
}
