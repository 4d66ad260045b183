/**
 * Sends arbitrary bytes to an RPC over each wire protocol the server speaks, without any client
 * library, and reads back the status the server answered. The fuzz test needs this because a
 * typed client can only send well-formed messages and envelopes.
 *
 * - "grpc": HTTP/2, `application/grpc`, length-prefixed envelopes, status in trailers (or in the
 *   headers of a trailers-only answer).
 * - "grpc-web": HTTP/1.1, `application/grpc-web+proto`, the status in a trailer envelope (flag
 *   0x80) of the body, or in the headers.
 * - "connect": HTTP/1.1 unary, `application/proto` or `application/json`; an error is a non-200
 *   status with a JSON body `{code, message}`.
 * - "connect-stream": Connect's streaming protocol over HTTP/2 (`application/connect+proto`): the
 *   end-of-stream envelope (flag 0x02) carries `{error: {code, message}}` when the call failed.
 */
import http from "node:http";
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";

export type WireProtocol = "grpc" | "grpc-web" | "connect" | "connect-stream";

export interface RawAnswer {
  /** The gRPC status code (0 = OK), or undefined when the answer carried none (a protocol failure). */
  readonly code: number | undefined;
  readonly message: string;
  readonly httpStatus: number;
}

/** One length-prefixed envelope: flags byte, big-endian 32-bit length, payload. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** Connect's error codes by their JSON name ("invalid_argument" -> Code.InvalidArgument). */
const CODE_BY_NAME: ReadonlyMap<string, Code> = new Map(
  Object.entries(Code)
    .filter((entry): entry is [string, Code] => typeof entry[1] === "number")
    .map(([name, code]) => [name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), code]),
);

function grpcCode(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function decodeGrpcMessage(value: string | string[] | undefined): string {
  if (typeof value !== "string") return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Splits a body into envelopes; a truncated tail is ignored. */
function envelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.length) break;
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** "grpc-status: 3\r\ngrpc-message: ..." -> header map. */
function parseTrailerBlock(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

export interface RawCallOptions {
  /** "florence.v1.FlorenceService/CaptionImage". */
  readonly path: string;
  readonly body: Uint8Array;
  /** For "connect": send JSON instead of binary. */
  readonly json?: boolean;
  /** Deadline the server is told about. */
  readonly timeoutMs: number;
}

/** One HTTP/2 session per base URL, reused by the gRPC calls of a test. */
export class RawCaller {
  readonly #url: URL;
  #session: http2.ClientHttp2Session | undefined;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  call(protocol: WireProtocol, options: RawCallOptions): Promise<RawAnswer> {
    switch (protocol) {
      case "grpc":
        return this.#h2(
          options,
          "application/grpc",
          { "grpc-timeout": `${options.timeoutMs}m`, te: "trailers" },
          readGrpc,
        );
      case "connect-stream":
        return this.#h2(
          options,
          "application/connect+proto",
          { "connect-timeout-ms": String(options.timeoutMs), "connect-protocol-version": "1" },
          readConnectStream,
        );
      case "grpc-web":
        return this.#h1(
          options,
          "application/grpc-web+proto",
          { "grpc-timeout": `${options.timeoutMs}m`, "x-grpc-web": "1" },
          readGrpcWeb,
        );
      case "connect":
        return this.#h1(
          options,
          options.json === true ? "application/json" : "application/proto",
          { "connect-timeout-ms": String(options.timeoutMs), "connect-protocol-version": "1" },
          readConnectUnary,
        );
    }
  }

  #sessionFor(): http2.ClientHttp2Session {
    if (this.#session === undefined || this.#session.closed || this.#session.destroyed) {
      const session = http2.connect(this.#url);
      session.on("error", () => {}); // a failed call reports itself; the next call reconnects
      session.unref();
      this.#session = session;
    }
    return this.#session;
  }

  #h2(
    options: RawCallOptions,
    contentType: string,
    extra: Record<string, string>,
    read: (headers: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders, body: Buffer) => RawAnswer,
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const stream = this.#sessionFor().request({
        ":method": "POST",
        ":path": `/${options.path}`,
        "content-type": contentType,
        ...extra,
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => resolve(read(headers, trailers, Buffer.concat(chunks))));
      stream.on("error", reject);
      stream.end(options.body);
    });
  }

  #h1(
    options: RawCallOptions,
    contentType: string,
    extra: Record<string, string>,
    read: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => RawAnswer,
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(`/${options.path}`, this.#url), {
        method: "POST",
        headers: { "content-type": contentType, "content-length": options.body.length, ...extra },
        agent: false,
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(read(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(options.body);
    });
  }
}

function readGrpc(headers: http2.IncomingHttpHeaders, trailers: http2.IncomingHttpHeaders, _body: Buffer): RawAnswer {
  const source = trailers["grpc-status"] !== undefined ? trailers : headers;
  return {
    code: grpcCode(source["grpc-status"]),
    message: decodeGrpcMessage(source["grpc-message"]),
    httpStatus: Number(headers[":status"] ?? 0),
  };
}

function readGrpcWeb(status: number, headers: http.IncomingHttpHeaders, body: Buffer): RawAnswer {
  if (headers["grpc-status"] !== undefined) {
    return {
      code: grpcCode(headers["grpc-status"]),
      message: decodeGrpcMessage(headers["grpc-message"]),
      httpStatus: status,
    };
  }
  const trailer = envelopes(body).find((e) => (e.flags & 0x80) !== 0);
  if (trailer === undefined)
    return { code: undefined, message: body.toString("utf8").slice(0, 200), httpStatus: status };
  const fields = parseTrailerBlock(trailer.data.toString("utf8"));
  return {
    code: grpcCode(fields["grpc-status"]),
    message: decodeGrpcMessage(fields["grpc-message"]),
    httpStatus: status,
  };
}

function readConnectError(json: unknown): { code: Code | undefined; message: string } {
  if (typeof json !== "object" || json === null) return { code: undefined, message: "" };
  const { code, message } = json as { code?: unknown; message?: unknown };
  return {
    code: typeof code === "string" ? CODE_BY_NAME.get(code) : undefined,
    message: typeof message === "string" ? message : "",
  };
}

function readConnectUnary(status: number, _headers: http.IncomingHttpHeaders, body: Buffer): RawAnswer {
  if (status === 200) return { code: 0, message: "", httpStatus: status };
  try {
    return { ...readConnectError(JSON.parse(body.toString("utf8"))), httpStatus: status };
  } catch {
    return { code: undefined, message: body.toString("utf8").slice(0, 200), httpStatus: status };
  }
}

function readConnectStream(
  headers: http2.IncomingHttpHeaders,
  _trailers: http2.IncomingHttpHeaders,
  body: Buffer,
): RawAnswer {
  const httpStatus = Number(headers[":status"] ?? 0);
  const end = envelopes(body).find((e) => (e.flags & 0x02) !== 0);
  if (end === undefined) {
    // A non-200 answer to a streaming request is a plain HTTP error with no envelope.
    return { code: undefined, message: body.toString("utf8").slice(0, 200), httpStatus };
  }
  try {
    const parsed = JSON.parse(end.data.toString("utf8")) as { error?: unknown };
    if (parsed.error === undefined) return { code: 0, message: "", httpStatus };
    return { ...readConnectError(parsed.error), httpStatus };
  } catch {
    return { code: undefined, message: end.data.toString("utf8").slice(0, 200), httpStatus };
  }
}
