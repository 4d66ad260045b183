/**
 * Starts a real server on 127.0.0.1, port 0, around a FakeEngine, with logs collected in memory,
 * and builds clients over every protocol/HTTP-version combination connect-node offers.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { Client, Transport } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { PixelFormat } from "../../gen/florence/v1/image_pb.js";
import type { FlorenceEngine } from "../../models/engine.js";
import type { LogEntry } from "../../server/logger.js";
import type { FlorenceServer, FlorenceServerInit } from "../../server/server.js";
import { createFlorenceServer } from "../../server/server.js";
import { FakeEngine } from "../support/fake-engine.js";

export interface TestServer {
  readonly server: FlorenceServer;
  readonly engine: FakeEngine;
  readonly url: string;
  readonly logs: LogEntry[];
}

/** `engine` (e.g. a promise, to test loading) replaces the fake; `fake` supplies a configured FakeEngine. `engine` on the result is the fake, used only when no `engine` was given. */
export async function startTestServer(
  init: Partial<Omit<FlorenceServerInit, "engine">> & {
    engine?: FlorenceEngine | Promise<FlorenceEngine>;
    fake?: FakeEngine;
  } = {},
): Promise<TestServer> {
  const engine = init.fake ?? new FakeEngine();
  const logs: LogEntry[] = [];
  const server = createFlorenceServer({
    logger: (entry) => logs.push(entry),
    shutdownGraceMs: 5000,
    ...init,
    host: "127.0.0.1",
    port: 0,
    engine: init.engine ?? engine,
  });
  const address = await server.listen();
  return { server, engine, url: address.url, logs };
}

export type TransportName = "grpc" | "grpc-web h1" | "grpc-web h2" | "connect h1" | "connect h2";

export const TRANSPORTS: readonly TransportName[] = ["grpc", "grpc-web h1", "grpc-web h2", "connect h1", "connect h2"];

const MAX = 128 * 1024 * 1024;

export function makeTransport(name: TransportName, baseUrl: string): Transport {
  const common = { baseUrl, readMaxBytes: MAX, writeMaxBytes: MAX };
  switch (name) {
    case "grpc":
      return createGrpcTransport(common); // always HTTP/2
    case "grpc-web h1":
      return createGrpcWebTransport({ ...common, httpVersion: "1.1" });
    case "grpc-web h2":
      return createGrpcWebTransport({ ...common, httpVersion: "2" });
    case "connect h1":
      return createConnectTransport({ ...common, httpVersion: "1.1" });
    case "connect h2":
      return createConnectTransport({ ...common, httpVersion: "2" });
  }
}

export function client<S extends DescService>(service: S, url: string, transport: TransportName = "grpc"): Client<S> {
  return createClient(service, makeTransport(transport, url));
}

/** A tiny raw RGB image whose size the fake engine reports back. */
export function rawImage(width: number, height: number) {
  return {
    source: {
      case: "raw" as const,
      value: { width, height, format: PixelFormat.RGB, data: new Uint8Array(width * height * 3) },
    },
  };
}

/** An "encoded" image of n bytes (the fake engine reports n x 1). */
export function encodedImage(n: number, fill = 7) {
  return { source: { case: "encoded" as const, value: new Uint8Array(n).fill(fill) } };
}
