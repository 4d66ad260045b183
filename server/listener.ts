/**
 * One TCP port for HTTP/2 (gRPC, and gRPC-Web/Connect over h2) and HTTP/1.1 (gRPC-Web/Connect
 * from browsers and curl), in cleartext or TLS.
 *
 * Cleartext: http2.createServer ignores `allowHTTP1` without TLS (checked on Node 20: an HTTP/1.1
 * request gets a parse error), so a plain net.Server looks at the first bytes of each connection:
 * the HTTP/2 connection preface goes to an http2 server, anything else to an http server, both
 * with the same request handler.
 * TLS: the same net.Server hands each connection to a tls.Server (which never listens itself);
 * after the handshake, ALPN "h2" goes to the http2 server and "http/1.1" (or no ALPN) to the http
 * server. Keeping one front server for both modes gives both the same connection limit, timeouts
 * and tracking. Certificates are swapped with setSecureContext: open connections keep theirs.
 *
 * Connection limits, so that connections cost an attacker as much as they cost the server:
 * - maxConnections: the net.Server closes connections beyond it at once ('drop', logged with a
 *   rate limit).
 * - headersTimeoutMs: a connection must finish its TLS handshake and start its first request (the
 *   HTTP/2 preface and first stream, or complete HTTP/1 request headers) within it, else it is
 *   destroyed; later HTTP/1 requests get Node's headersTimeout with the same value.
 * - idleConnectionTimeoutMs: an HTTP/2 session with no open stream for that long gets GOAWAY (and
 *   is destroyed shortly after if the client keeps it open); HTTP/1 keep-alive connections close
 *   after it (Node's keepAliveTimeout).
 * - maxStreamsPerConnection: SETTINGS_MAX_CONCURRENT_STREAMS of every HTTP/2 session.
 * - keepaliveMinIntervalMs: like grpc-go's keepalive enforcement, a client PING that comes sooner
 *   than this after the previous one is a strike unless the server has sent something other than
 *   PING acks since (responses, so pings that go with traffic, like gRPC's BDP probes, are fine);
 *   the third strike ends the session with GOAWAY ENHANCE_YOUR_CALM. Node 20's Http2Session emits
 *   'ping' for every PING frame it receives, which is what makes this possible.
 * - requestTimeoutMs: Node's HTTP/1 requestTimeout (the whole request must arrive within it).
 *
 * Connections are tracked because http2's server.close() waits for every session to end, and
 * gRPC clients keep idle sessions open: without closing them, shutdown hangs.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import net from "node:net";
import type { SecureContextOptions, TLSSocket } from "node:tls";
import tls from "node:tls";
import type { ServerOptions } from "./options.js";

/** RFC 9113 §3.4: what every prior-knowledge HTTP/2 client sends first. */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** After an idle GOAWAY, how long a session gets to close before it is destroyed. */
const IDLE_GOAWAY_GRACE_MS = 1000;
/** RFC 9113 §6.8: a GOAWAY naming 2^31-1 announces a shutdown without refusing any stream yet. */
const MAX_STREAM_ID = 2 ** 31 - 1;
/** The final GOAWAY follows the announcement after a PING round trip, or after this many ms. */
const SHUTDOWN_NOTICE_MS = 1000;
/** grpc-go's maxPingStrikes: the third too-early ping ends the session. */
const MAX_PING_STRIKES = 2;
/** Bytes of one PING ack frame (9-byte header + 8-byte payload): what a ping flood makes us write. */
const PING_ACK_BYTES = 17;
/** At most one "connection limit reached" warning per this many ms. */
const DROP_WARNING_INTERVAL_MS = 10_000;

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** The connection limits are the server's options of the same names (documented there). */
export interface ListenerOptions
  extends Pick<
    ServerOptions,
    | "maxConnections"
    | "headersTimeoutMs"
    | "requestTimeoutMs"
    | "idleConnectionTimeoutMs"
    | "maxStreamsPerConnection"
    | "keepaliveMinIntervalMs"
    | "logger"
  > {
  /** Server certificate, key and optional client CA; undefined: cleartext. */
  readonly tls: SecureContextOptions | undefined;
  /** With tls: request a client certificate and refuse the handshake without a verified one. */
  readonly requireClientCert: boolean;
}

export class DualProtocolListener {
  readonly #options: ListenerOptions;
  readonly #net: net.Server;
  readonly #tls: tls.Server | undefined;
  readonly #h1: http.Server;
  readonly #h2: http2.Http2Server;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #sockets = new Set<Socket>();
  /** Connections that have not started their first request yet, with the timer that ends them. */
  readonly #firstRequest = new WeakMap<Socket, NodeJS.Timeout>();
  /** Set by announceShutdown: HTTP/1.1 responses from then on close their connection. */
  #draining = false;
  #droppedSinceWarning = 0;
  #lastDropWarning = Number.NEGATIVE_INFINITY;
  #closed: Promise<void> | undefined;

  constructor(handler: RequestHandler, options: ListenerOptions) {
    this.#options = options;
    this.#h2 = http2.createServer({ settings: { maxConcurrentStreams: options.maxStreamsPerConnection } }, handler);
    // Node refuses a headersTimeout above a non-zero requestTimeout.
    const headersTimeout = Math.min(options.headersTimeoutMs, options.requestTimeoutMs);
    this.#h1 = http.createServer(
      {
        headersTimeout,
        requestTimeout: options.requestTimeoutMs,
        keepAliveTimeout: options.idleConnectionTimeoutMs,
        // How often Node checks the two timeouts above; its default (30 s) would let a short
        // headersTimeout run several times over.
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      },
      (req, res) => {
        this.#startedRequest(req.socket);
        closeWhenDone(req, res, () => this.#draining);
        handler(req, res);
      },
    );
    this.#h2.on("session", (session) => this.#watchSession(session));
    if (options.tls !== undefined) {
      this.#tls = tls.createServer({
        ...options.tls,
        ALPNProtocols: ["h2", "http/1.1"],
        requestCert: options.requireClientCert,
        rejectUnauthorized: options.requireClientCert,
        handshakeTimeout: options.headersTimeoutMs,
      });
      this.#tls.on("secureConnection", (socket) => this.#routeSecure(socket));
      // A failed or timed-out handshake (handshakeTimeout): nothing to answer; tls.Server only
      // reports it, so the connection is ended here.
      this.#tls.on("tlsClientError", (_error, socket) => socket.destroy());
    }
    this.#net = net.createServer((socket) => this.#accept(socket));
    this.#net.maxConnections = options.maxConnections;
    this.#net.on("drop", () => this.#warnDropped());
  }

  /** Open TCP connections, both protocols (tests check that close() leaves none). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** True when the listener speaks TLS. */
  get secure(): boolean {
    return this.#tls !== undefined;
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

  /** New TLS connections use these; open ones keep the context they were made with. */
  setSecureContext(options: SecureContextOptions): void {
    if (this.#tls === undefined) throw new Error("setSecureContext: this listener was started without TLS");
    this.#tls.setSecureContext(options);
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

  /**
   * Starts a drain the way grpc-go's GracefulStop does: every HTTP/2 session gets a GOAWAY that
   * names the largest stream id, so its client opens no new stream here yet nothing it already
   * sent is refused; one PING round trip later (or after SHUTDOWN_NOTICE_MS) the final GOAWAY
   * with the last stream actually received. A single GOAWAY would refuse a call racing it with
   * REFUSED_STREAM, which connect-node reports as INTERNAL (not retried); a call that does arrive
   * in the window gets the server's own UNAVAILABLE instead. Idle HTTP/1 connections close, and
   * busy ones after their response (`Connection: close`), for the same reason.
   */
  announceShutdown(): void {
    this.#draining = true;
    for (const session of this.#sessions) {
      if (session.closed || session.destroyed) continue;
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, MAX_STREAM_ID);
      const finish = () => {
        clearTimeout(timer);
        if (!session.closed && !session.destroyed) session.close();
      };
      const timer = setTimeout(finish, SHUTDOWN_NOTICE_MS);
      timer.unref();
      if (!session.ping(finish)) finish();
    }
    this.#h1.close(() => {});
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

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (this.#tls !== undefined) {
      // The handshake timeout covers the time until the TLS session is up.
      this.#tls.emit("connection", socket);
      return;
    }
    this.#awaitFirstRequest(socket);
    this.#sniff(socket);
  }

  #sniff(socket: Socket): void {
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
        // The session's own timer takes over (see #watchSession).
        this.#startedRequest(socket);
        // http2 reads what is already buffered in the socket before taking over its handle.
        this.#h2.emit("connection", socket);
      } else {
        this.#h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }

  #routeSecure(socket: TLSSocket): void {
    socket.on("error", () => socket.destroy());
    if (socket.alpnProtocol === "h2") {
      this.#h2.emit("connection", socket);
    } else {
      this.#awaitFirstRequest(socket);
      this.#h1.emit("connection", socket);
    }
  }

  /** Destroys `socket` unless its first request starts within headersTimeoutMs. */
  #awaitFirstRequest(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), this.#options.headersTimeoutMs);
    timer.unref();
    this.#firstRequest.set(socket, timer);
    socket.once("close", () => this.#startedRequest(socket));
  }

  #startedRequest(socket: Socket): void {
    const timer = this.#firstRequest.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#firstRequest.delete(socket);
  }

  /**
   * Per-session policy: the first stream must open within headersTimeoutMs, later idle periods may
   * last idleConnectionTimeoutMs, and client pings must respect keepaliveMinIntervalMs.
   */
  #watchSession(session: http2.ServerHttp2Session): void {
    const { headersTimeoutMs, idleConnectionTimeoutMs, keepaliveMinIntervalMs } = this.#options;
    this.#sessions.add(session);
    let openStreams = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, onExpiry: () => void) => {
      timer = setTimeout(onExpiry, ms);
      timer.unref();
    };
    const goAwayIdle = () => {
      session.close();
      setTimeout(() => session.destroy(), IDLE_GOAWAY_GRACE_MS).unref();
    };
    // A client that never opens a stream has no stream to finish: destroy at once.
    arm(headersTimeoutMs, () => session.destroy());
    session.on("stream", (stream) => {
      openStreams++;
      clearTimeout(timer);
      strikes = 0;
      stream.once("close", () => {
        openStreams--;
        if (openStreams === 0 && !session.closed && !session.destroyed) arm(idleConnectionTimeoutMs, goAwayIdle);
      });
    });

    let strikes = 0;
    let lastPingAt = Number.NEGATIVE_INFINITY;
    let writtenAtLastPing = 0;
    session.on("ping", () => {
      const now = performance.now();
      const written = session.socket?.bytesWritten ?? 0;
      // Anything beyond the acks of pings means the server has been answering: the pings go with
      // real traffic, as gRPC's BDP probes do, and grpc-go resets its strikes on writes too.
      const answered = written - writtenAtLastPing > PING_ACK_BYTES;
      if (answered) strikes = 0;
      else if (now - lastPingAt < keepaliveMinIntervalMs) strikes++;
      lastPingAt = now;
      writtenAtLastPing = written + PING_ACK_BYTES;
      if (strikes > MAX_PING_STRIKES) {
        this.#options.logger({ level: "warn", msg: "client pings too often; sending GOAWAY ENHANCE_YOUR_CALM" });
        session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
        setTimeout(() => session.destroy(), IDLE_GOAWAY_GRACE_MS).unref();
      }
    });
    session.once("close", () => {
      clearTimeout(timer);
      this.#sessions.delete(session);
    });
  }

  #warnDropped(): void {
    this.#droppedSinceWarning++;
    const now = performance.now();
    if (now - this.#lastDropWarning < DROP_WARNING_INTERVAL_MS) return;
    this.#lastDropWarning = now;
    this.#options.logger({
      level: "warn",
      msg: `connection limit (${this.#options.maxConnections}) reached: closed ${this.#droppedSinceWarning} new connection(s)`,
    });
    this.#droppedSinceWarning = 0;
  }
}

/**
 * HTTP/1.1 only: answer with `Connection: close` (Node then closes the connection after the
 * response) when
 * - the response starts before the request body was read to the end (connect rejected it early,
 *   e.g. over readMaxBytes). Otherwise Node's server keeps the connection and waits for the rest
 *   of a body the client has stopped sending, and the client's next request on that keep-alive
 *   connection fails with ECONNRESET when the server's keepAliveTimeout (5 s) ends it (seen with
 *   connect-node's HTTP/1.1 transports, also against a plain http.createServer);
 * - the server is draining: the client's next request then opens a new connection, which reaches
 *   another replica behind a balancer, instead of being refused here.
 */
function closeWhenDone(req: http.IncomingMessage, res: http.ServerResponse, draining: () => boolean): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    if ((!req.complete || draining()) && !this.headersSent) this.setHeader("Connection", "close");
    return writeHead.apply(this, args);
  } as typeof writeHead;
}
