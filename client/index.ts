/**
 * The typed Florence-2 client for Node: gRPC (HTTP/2), gRPC-Web or Connect over
 * @connectrpc/connect-node. Browsers use "./browser.js". Neither entry loads onnxruntime, sharp or
 * anything of the engine: the client depends on the generated code only.
 *
 * @example
 * const florence = createFlorenceClient({ baseUrl: "http://127.0.0.1:50051" });
 * const [caption] = await florence.captionImage("photo.jpg", { granularity: "detailed" });
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createFlorenceClientOnTransport, type FlorenceClient } from "./client.js";
import { clientDefaults, clientInterceptors, type FlorenceClientInit, type Protocol } from "./options.js";

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
// Drawing results: the shared renderers, and Node's annotate, which loads the optional sharp on first use.
export * from "./annotate/index.js";
export { annotate, type NodeAnnotateOptions } from "./annotate/node.js";
export type { BalancedTransport, BalancedTransportInit } from "./balanced-transport.js";
export { createBalancedTransport } from "./balanced-transport.js";

/** Node-only options. */
export interface NodeClientOptions {
  /**
   * HTTP version of the grpc-web and connect protocols. Default "2": the server speaks cleartext
   * HTTP/2, and bidirectional streaming (streamFrames) needs it. gRPC is always HTTP/2.
   */
  readonly httpVersion?: "1.1" | "2";
  /**
   * TLS settings for an "https://" baseUrl: the CA that signed the server's certificate (when it
   * is not a public CA), and a client certificate and key for servers that require one (mutual
   * TLS). PEM text or bytes, not file paths. Default none: Node's built-in CAs, no client
   * certificate.
   */
  readonly tls?: NodeTlsOptions;
}

export interface NodeTlsOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

export type NodeClientInit = FlorenceClientInit & NodeClientOptions;

/** Reads a file path image; a dynamic import keeps node:fs out of any bundle that never reads one. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  const fs = await import("node:fs/promises");
  return fs.readFile(path);
}

/**
 * MiB an HTTP/2 session may hold (Node's maxSessionMemory; its default is 10). A request message is
 * queued in the session whole while the server's flow control lets it out, and a session over the
 * limit refuses the headers of any response: a message over the server's readMaxBytes, answered
 * at once with RESOURCE_EXHAUSTED, then failed as "Stream closed with error code
 * NGHTTP2_ENHANCE_YOUR_CALM". Room for the largest message a server accepts (4 GiB) keeps the
 * server's answer readable; the limit allocates nothing.
 */
export const HTTP2_SESSION_MEMORY_MIB = 4200;

function createNodeTransport(
  baseUrl: string,
  protocol: Protocol,
  httpVersion: "1.1" | "2",
  tls: NodeTlsOptions | undefined,
  interceptors: Interceptor[],
): Transport {
  // connect-node hands nodeOptions to http2.connect / https.request, which take these TLS fields.
  const h1Options = tls === undefined ? { interceptors } : { interceptors, nodeOptions: { ...tls } };
  const h2Options = { interceptors, nodeOptions: { ...tls, maxSessionMemory: HTTP2_SESSION_MEMORY_MIB } };
  switch (protocol) {
    case "grpc":
      if (httpVersion !== "2")
        throw new TypeError(
          'createFlorenceClient: protocol "grpc" needs httpVersion "2"; use "grpc-web" or "connect" for HTTP/1.1',
        );
      return createGrpcTransport({ baseUrl, ...h2Options });
    case "grpc-web":
      return httpVersion === "2"
        ? createGrpcWebTransport({ baseUrl, httpVersion, ...h2Options })
        : createGrpcWebTransport({ baseUrl, httpVersion, ...h1Options });
    case "connect":
      return httpVersion === "2"
        ? createConnectTransport({ baseUrl, httpVersion, ...h2Options })
        : createConnectTransport({ baseUrl, httpVersion, ...h1Options });
    default:
      throw new TypeError(
        `createFlorenceClient: unknown protocol ${JSON.stringify(protocol)}; use "grpc", "grpc-web" or "connect"`,
      );
  }
}

export function createFlorenceClient(init: NodeClientInit): FlorenceClient {
  const httpVersion = init.httpVersion ?? "2";
  const transport =
    init.transport ??
    createNodeTransport(
      "baseUrl" in init ? init.baseUrl : "",
      init.protocol ?? "grpc",
      httpVersion,
      init.tls,
      clientInterceptors(init.retry),
    );
  const http1 = init.transport === undefined && httpVersion === "1.1";
  return createFlorenceClientOnTransport(transport, {
    headers: init.headers ?? clientDefaults.headers,
    token: init.token ?? clientDefaults.token,
    timeoutMs: init.timeoutMs ?? clientDefaults.timeoutMs,
    model: init.model ?? clientDefaults.model,
    readFile: readImageFile,
    ...(http1
      ? { noBidiStreaming: 'streamFrames needs HTTP/2; create the client with httpVersion "2" (the default)' }
      : {}),
  });
}
