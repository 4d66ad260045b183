/**
 * One TCP port for HTTP/2 cleartext (gRPC, and gRPC-Web/Connect over h2) and HTTP/1.1
 * (gRPC-Web/Connect from browsers and curl). Node's http2.createServer ignores `allowHTTP1`
 * without TLS (checked on Node 20: an HTTP/1.1 request gets a parse error), so a plain net.Server
 * looks at the first bytes of each connection: the HTTP/2 connection preface goes to an http2
 * server, anything else to an http server, both with the same request handler.
 *
 * Connections are tracked because http2's server.close() waits for every session to end, and
 * gRPC clients keep idle sessions open: without closing them, shutdown hangs.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import net from "node:net";

/** RFC 9113 §3.4: what every prior-knowledge HTTP/2 client sends first. */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export class DualProtocolListener {
  readonly #net: net.Server;
  readonly #h1: http.Server;
  readonly #h2: http2.Http2Server;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #sockets = new Set<Socket>();
  #closed: Promise<void> | undefined;

  constructor(handler: RequestHandler) {
    this.#h2 = http2.createServer({}, handler);
    this.#h1 = http.createServer({}, (req, res) => {
      closeIfBodyUnread(req, res);
      handler(req, res);
    });
    this.#h2.on("session", (session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
    });
    this.#net = net.createServer((socket) => this.#route(socket));
  }

  /** Open TCP connections, both protocols (tests check that close() leaves none). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#net.once("error", reject);
      this.#net.listen(port, host, () => {
        this.#net.off("error", reject);
        // The http server never listens itself, but its connection tracking (needed by
        // closeIdleConnections, and for headersTimeout/requestTimeout) starts on 'listening'.
        this.#h1.emit("listening");
        resolve(this.#net.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections. Resolves once every existing connection has ended too. */
  stopAccepting(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      if (!this.#net.listening) {
        resolve();
        return;
      }
      this.#net.close(() => resolve());
    });
    return this.#closed;
  }

  /** Sends GOAWAY on every HTTP/2 session (open streams may finish) and closes idle HTTP/1 connections. */
  closeSessions(): void {
    for (const session of this.#sessions) session.close();
    // http.Server.close() closes idle connections and stops the connection-checking timer; the
    // net-level close reports "not running" (this server never listened), which is expected.
    this.#h1.close(() => {});
  }

  /** Drops every remaining connection at once; returns how many there were. */
  destroyAll(): number {
    const count = this.#sockets.size;
    this.#h1.closeAllConnections();
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#sockets) socket.destroy();
    return count;
  }

  #route(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      const isHttp2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (isHttp2 && head.length < HTTP2_PREFACE.length) return; // need the whole preface
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (isHttp2) {
        // http2 reads what is already buffered in the socket before taking over its handle.
        this.#h2.emit("connection", socket);
      } else {
        this.#h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  }
}

/**
 * HTTP/1.1 only: when the response starts before the request body was read to the end (connect
 * rejected it early, e.g. over readMaxBytes), answer with `Connection: close`. Otherwise Node's
 * server keeps the connection and waits for the rest of a body the client has stopped sending,
 * and the client's next request on that keep-alive connection fails with ECONNRESET when the
 * server's keepAliveTimeout (5 s) ends it (seen with connect-node's HTTP/1.1 transports, also
 * against a plain http.createServer).
 */
function closeIfBodyUnread(req: http.IncomingMessage, res: http.ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    if (!req.complete && !this.headersSent) this.setHeader("Connection", "close");
    return writeHead.apply(this, args);
  } as typeof writeHead;
}
