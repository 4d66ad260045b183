/**
 * Connection limits. Without them 1000 idle TCP, HTTP/2-preface-only or half-header
 * connections were all held, idle sessions lived for ever, and nothing limited streams per
 * connection or client pings. Each case here uses short limits and checks that the server ends
 * the connection well before a generous deadline, then that a good request still succeeds.
 */
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { type CertSet, makeCertSet } from "../helpers/certs.js";
import { client, startTestServer } from "../server/harness.js";

/** Generous bound for "the server closed it": the limits below are 200-300 ms. */
const DEADLINE_MS = 4000;
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Opens a TCP connection, writes `data` (if any) and resolves once connected. */
function openSocket(port: number, data?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      if (data !== undefined) socket.write(data);
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

/** True when `socket` is closed by the other side within `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once("close", done);
    socket.once("end", done);
    socket.resume();
  });
}

async function healthy(url: string): Promise<void> {
  expect((await client(Health, url).check({ service: "" })).status).toBe(Status.SERVING);
}

describe("connection limits", () => {
  it("closes connections beyond maxConnections at once and logs it once, then still serves", async () => {
    const s = await startTestServer({ maxConnections: 20, headersTimeoutMs: 60_000 });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 200; i++) sockets.push(await openSocket(portOf(s.url)));
      const closed = await Promise.all(sockets.map((socket) => closedWithin(socket, DEADLINE_MS)));
      expect(closed.filter(Boolean).length).toBe(180);
      expect(closed.slice(0, 20).some(Boolean)).toBe(false);
      const warnings = s.logs.filter((l) => l.msg.startsWith("connection limit (20) reached"));
      expect(warnings.length).toBe(1);
      for (const socket of sockets) socket.destroy();
      // The slots free up: a good request succeeds.
      await new Promise((r) => setTimeout(r, 100));
      await healthy(s.url);
    } finally {
      for (const socket of sockets) socket.destroy();
      await s.server.close();
    }
  });

  it.each([
    ["sends nothing", undefined],
    ["sends half the HTTP/2 preface", PREFACE.slice(0, 10)],
    ["sends only the HTTP/2 preface", PREFACE],
    ["sends half the HTTP/1.1 request headers", "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\n"],
  ])("destroys a connection that %s within headersTimeoutMs", async (_, data) => {
    const s = await startTestServer({ headersTimeoutMs: 200 });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 50; i++) sockets.push(await openSocket(portOf(s.url), data));
      const closed = await Promise.all(sockets.map((socket) => closedWithin(socket, DEADLINE_MS)));
      expect(closed.every(Boolean)).toBe(true);
      await healthy(s.url);
    } finally {
      for (const socket of sockets) socket.destroy();
      await s.server.close();
    }
  });

  it("sends GOAWAY to an HTTP/2 connection idle for idleConnectionTimeoutMs, but not while a call is open", async () => {
    const s = await startTestServer({ idleConnectionTimeoutMs: 300 });
    const session = http2.connect(s.url);
    try {
      const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
      // A call that stays open longer than the idle timeout keeps the connection.
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Watch",
        "content-type": "application/grpc",
      });
      stream.on("data", () => {});
      stream.write(Buffer.from([0, 0, 0, 0, 0]));
      const early = await Promise.race([
        goaway.then(() => "goaway"),
        new Promise((r) => setTimeout(() => r("open"), 900)),
      ]);
      expect(early).toBe("open");
      stream.close();
      const code = await Promise.race([
        goaway,
        new Promise<string>((r) => setTimeout(() => r("no goaway"), DEADLINE_MS)),
      ]);
      expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
      await healthy(s.url);
    } finally {
      session.destroy();
      await s.server.close();
    }
  });

  it("closes an idle HTTP/1.1 keep-alive connection after idleConnectionTimeoutMs", async () => {
    const s = await startTestServer({ idleConnectionTimeoutMs: 300 });
    const body = "{}";
    const request = `POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const socket = await openSocket(portOf(s.url), request);
    try {
      const answer = await new Promise<string>((resolve) =>
        socket.once("data", (chunk: Buffer) => resolve(chunk.toString("latin1"))),
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).toMatch(/connection: keep-alive/i);
      expect(await closedWithin(socket, DEADLINE_MS)).toBe(true);
    } finally {
      socket.destroy();
      await s.server.close();
    }
  });

  it("advertises maxStreamsPerConnection in its HTTP/2 SETTINGS", async () => {
    const s = await startTestServer({ maxStreamsPerConnection: 7 });
    const session = http2.connect(s.url);
    try {
      const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
      expect(settings.maxConcurrentStreams).toBe(7);
    } finally {
      session.destroy();
      await s.server.close();
    }
  });

  it("answers a ping flood with GOAWAY ENHANCE_YOUR_CALM; pings at the allowed rate are fine", async () => {
    const s = await startTestServer({ keepaliveMinIntervalMs: 10_000 });
    const flood = http2.connect(s.url);
    let polite: http2.ClientHttp2Session | undefined;
    try {
      const goaway = new Promise<number>((resolve) => flood.once("goaway", (code) => resolve(code)));
      flood.on("error", () => {});
      await new Promise((r) => flood.once("connect", r));
      for (let i = 0; i < 6; i++) flood.ping(() => {});
      const code = await Promise.race([
        goaway,
        new Promise<string>((r) => setTimeout(() => r("no goaway"), DEADLINE_MS)),
      ]);
      expect(code).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      // One ping is no offence.
      const session = http2.connect(s.url);
      polite = session;
      await new Promise((r) => session.once("connect", r));
      const acked = await new Promise<boolean>((resolve) => session.ping((err) => resolve(err === null)));
      expect(acked).toBe(true);
      expect(session.closed).toBe(false);
      await healthy(s.url);
    } finally {
      flood.destroy();
      polite?.destroy();
      await s.server.close();
    }
  });
});

describe("connection limits with TLS", () => {
  let certs: CertSet;
  beforeAll(() => {
    certs = makeCertSet();
  });
  afterAll(() => certs.remove());

  it("destroys a connection that never finishes the TLS handshake, or never sends a request after it", async () => {
    const s = await startTestServer({
      tlsCertFile: certs.serverCert,
      tlsKeyFile: certs.serverKey,
      headersTimeoutMs: 200,
    });
    try {
      const silent = await openSocket(portOf(s.url));
      const afterHandshake = (alpn: string) =>
        new Promise<tls.TLSSocket>((resolve, reject) => {
          const socket = tls.connect(
            { port: portOf(s.url), host: "127.0.0.1", ca: certs.read(certs.caCert), ALPNProtocols: [alpn] },
            () => resolve(socket),
          );
          socket.on("error", () => {});
          socket.once("error", reject);
        });
      const h1 = await afterHandshake("http/1.1");
      const h2 = await afterHandshake("h2");
      const closed = await Promise.all([silent, h1, h2].map((socket) => closedWithin(socket, DEADLINE_MS)));
      expect(closed).toEqual([true, true, true]);
    } finally {
      await s.server.close();
    }
  });
});
