/**
 * Errors a client can act on. A message over the server's readMaxBytes is RESOURCE_EXHAUSTED through our Node client over every
 * protocol and HTTP version. Over HTTP/2 a message bigger than Node's default session memory
 * (10 MiB) used to fail "Stream closed with error code NGHTTP2_ENHANCE_YOUR_CALM": the client's own
 * session, holding the unsent message, refused the server's early answer (client/index.ts). And the google.rpc details are
 * read with the client's own helpers, without importing generated code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  badRequestOf,
  Code,
  ConnectError,
  createFlorenceClient,
  errorInfoOf,
  type NodeClientInit,
  retryInfoOf,
} from "../../client/index.js";
import { startTestServer, type TestServer } from "../server/harness.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ readMaxBytes: 1024 * 1024 });
});
afterAll(() => t.server.close({ graceMs: 1000 }));

const CLIENTS: readonly [string, Omit<NodeClientInit, "baseUrl">][] = [
  ["grpc", { protocol: "grpc" }],
  ["grpc-web h1", { protocol: "grpc-web", httpVersion: "1.1" }],
  ["grpc-web h2", { protocol: "grpc-web", httpVersion: "2" }],
  ["connect h1", { protocol: "connect", httpVersion: "1.1" }],
  ["connect h2", { protocol: "connect", httpVersion: "2" }],
];

describe.each(CLIENTS)("over %s", (_name, options) => {
  it("a 24 MiB image is RESOURCE_EXHAUSTED, and the client's next call works", async () => {
    const florence = createFlorenceClient({ baseUrl: t.url, ...options } as NodeClientInit);
    const error = await florence.captionImage(new Uint8Array(24 * 1024 * 1024).fill(7)).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toMatch(/larger than configured readMaxBytes 1048576/);
    const rgb = { data: new Uint8Array(2 * 1 * 3), width: 2, height: 1, format: "rgb" } as const;
    expect(await florence.captionImage(rgb)).toHaveLength(1);
  }, 30_000);
});

describe("error details through the client's own helpers", () => {
  it("badRequestOf and errorInfoOf read an invalid image's details", async () => {
    const florence = createFlorenceClient({ baseUrl: t.url });
    const error = await florence
      .captionImage([{ data: new Uint8Array(3), width: 1, height: 1, format: "rgb" }, new Uint8Array(0)])
      .catch((e: unknown) => e);
    expect(badRequestOf(error)).toEqual([{ field: "images[1].encoded", description: expect.stringMatching(/empty/) }]);
    expect(errorInfoOf(error)).toMatchObject({ reason: "invalid_image", domain: "florence2" });
    expect(retryInfoOf(error)).toBeUndefined();
  });

  it("retryInfoOf reads a full queue's advice", async () => {
    const s = await startTestServer({ maxConcurrentRequests: 1, maxQueuedRequests: 0 });
    try {
      const release = s.engine.hold();
      const florence = createFlorenceClient({ baseUrl: s.url });
      const rgb = { data: new Uint8Array(3), width: 1, height: 1, format: "rgb" } as const;
      const first = florence.ocrImage(rgb);
      await s.engine.waitForCalls(1);
      const error = await florence.ocrImage(rgb).catch((e: unknown) => e);
      expect(retryInfoOf(error)?.retryDelayMs).toBeGreaterThan(0);
      expect(badRequestOf(error)).toEqual([]);
      release();
      await first;
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("anything that is not a call error has no details", () => {
    expect([badRequestOf(new Error("x")), errorInfoOf("x"), retryInfoOf(undefined)]).toEqual([
      [],
      undefined,
      undefined,
    ]);
  });
});
