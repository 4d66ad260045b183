/**
 * Access and transport security. Without them anyone who could reach the port could use the
 * service, in cleartext. Checked here: TLS (all three protocols, h2 by ALPN and HTTP/1.1), mutual
 * TLS, bearer tokens, reload without dropping connections, and a refusal to start exposed without
 * either.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorenceClient, type NodeClientInit } from "../../client/index.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import {
  bearerToken,
  insecureExposureProblem,
  isLoopbackHost,
  matchToken,
  parseTokensFile,
  UNAUTHENTICATED_MESSAGE,
} from "../../server/auth.js";
import { ServingStatus } from "../../server/health.js";
import { silentLogger } from "../../server/logger.js";
import { InsecureExposureError, startServer } from "../../server/main.js";
import { loadTlsMaterial } from "../../server/tls.js";
import { type CertSet, makeCertSet } from "../helpers/certs.js";
import { startTestServer, type TestServer } from "../server/harness.js";
import { FakeEngine } from "../support/fake-engine.js";

const TOKEN_A = `${"a".repeat(20)}0123456789abcdef`;
const TOKEN_B = `${"b".repeat(20)}0123456789abcdef`;

async function codeOf(p: Promise<unknown>): Promise<{ code: Code | "ok"; message: string }> {
  try {
    await p;
    return { code: "ok", message: "" };
  } catch (e) {
    const error = ConnectError.from(e);
    return { code: error.code, message: error.rawMessage };
  }
}

describe("tokens file parsing", () => {
  const cases: [string, string, readonly string[] | RegExp][] = [
    ["one bare token", `${TOKEN_A}\n`, ["token#1"]],
    ["names, comments, blank lines, CRLF", `# ops\r\n\r\nci:${TOKEN_A}\r\n  ${TOKEN_B}  \n`, ["ci", "token#2"]],
    ["no token", "# nothing\n\n", /holds no token/],
    ["short token", "abc\n", /line 1: the token is shorter than 16/],
    ["space inside", `${TOKEN_A} x\n`, /line 1: a token may hold/],
    ["bad name", `bad name:${TOKEN_A}\n`, /line 1: a token's name/],
    ["duplicate token", `${TOKEN_A}\n#\n${TOKEN_A}\n`, /line 3: the same token appears twice/],
    ["duplicate name", `x:${TOKEN_A}\nx:${TOKEN_B}\n`, /line 2: the name "x" appears twice/],
  ];
  it.each(cases)("%s", (_, text, expected) => {
    if (expected instanceof RegExp) {
      expect(() => parseTokensFile(text)).toThrow(expected);
      // The error never repeats the line (it may hold a secret).
      try {
        parseTokensFile(text);
      } catch (e) {
        expect((e as Error).message).not.toContain(TOKEN_A);
      }
    } else {
      expect(parseTokensFile(text).map((t) => t.name)).toEqual(expected);
    }
  });

  it("matches by digest, every entry, and tells nothing for a wrong token", () => {
    const entries = parseTokensFile(`ci:${TOKEN_A}\n${TOKEN_B}\n`);
    expect(matchToken(entries, TOKEN_A)).toBe("ci");
    expect(matchToken(entries, TOKEN_B)).toBe("token#2");
    expect(matchToken(entries, `${TOKEN_A}x`)).toBeUndefined();
    expect(matchToken(entries, "")).toBeUndefined();
  });

  it.each([
    [null, undefined],
    ["Bearer abc", "abc"],
    ["bearer   abc  ", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
  ] as const)("bearerToken(%j) = %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("loopback detection and the refusal to start exposed", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.5", false],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["example.com", false],
  ] as const)("isLoopbackHost(%s) = %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each([
    ["127.0.0.1", false, false, false, false],
    ["0.0.0.0", false, false, false, true],
    ["0.0.0.0", true, false, false, false],
    ["0.0.0.0", false, true, false, false],
    ["0.0.0.0", false, false, true, false],
    ["::", false, false, false, true],
  ] as const)("host %s tls=%s tokens=%s insecure=%s refused=%s", (host, tls, tokens, insecure, refused) => {
    const problem = insecureExposureProblem({ host, tls, tokens, insecure });
    expect(problem !== undefined).toBe(refused);
    if (problem !== undefined) expect(problem).toMatch(/--tls-cert.*--auth-tokens-file.*--insecure/);
  });

  it("startServer refuses 0.0.0.0 without TLS or tokens, before listening", async () => {
    const refused = startServer({
      engine: new FakeEngine(),
      host: "0.0.0.0",
      port: 0,
      logger: silentLogger,
      handleSignals: false,
    });
    await expect(refused).rejects.toBeInstanceOf(InsecureExposureError);
    await expect(refused).rejects.toThrow(/refusing to listen on 0\.0\.0\.0/);
  });
});

describe("TLS, mutual TLS and tokens on a live server", () => {
  let certs: CertSet;
  let tokensFile: string;
  beforeAll(() => {
    certs = makeCertSet();
    tokensFile = join(certs.dir, "tokens");
    writeFileSync(tokensFile, `# test tokens\nci:${TOKEN_A}\n`);
  });
  afterAll(() => certs.remove());

  const tlsClient = (s: TestServer, init: Partial<NodeClientInit> = {}) =>
    createFlorenceClient({ baseUrl: s.url, tls: { ca: certs.read(certs.caCert) }, ...init });

  it("names the option when a TLS file is missing or the key does not fit", () => {
    expect(() =>
      loadTlsMaterial({ certFile: join(certs.dir, "nope.crt"), keyFile: certs.serverKey, clientCaFile: undefined }),
    ).toThrow(/tlsCertFile \(--tls-cert\): cannot read .*ENOENT/);
    expect(() =>
      loadTlsMaterial({ certFile: certs.serverCert, keyFile: certs.clientKey, clientCaFile: undefined }),
    ).toThrow(/tlsKeyFile \(--tls-key\) is not the private key of the certificate/);
    expect(() =>
      loadTlsMaterial({ certFile: certs.serverKey, keyFile: certs.serverKey, clientCaFile: undefined }),
    ).toThrow(/tlsCertFile \(--tls-cert\) is not a PEM certificate/);
  });

  it("serves gRPC, gRPC-Web and Connect over TLS (h2 by ALPN and HTTP/1.1)", async () => {
    const s = await startTestServer({ tlsCertFile: certs.serverCert, tlsKeyFile: certs.serverKey });
    try {
      expect(s.url).toMatch(/^https:\/\//);
      const combos = [
        { protocol: "grpc", httpVersion: "2" },
        { protocol: "grpc-web", httpVersion: "2" },
        { protocol: "grpc-web", httpVersion: "1.1" },
        { protocol: "connect", httpVersion: "2" },
        { protocol: "connect", httpVersion: "1.1" },
      ] as const;
      for (const combo of combos) {
        const list = await tlsClient(s, combo).listModels();
        expect(list.models.length, `${combo.protocol} h${combo.httpVersion}`).toBe(1);
      }
      // A cleartext client gets no answer from the TLS port.
      const plain = createFlorenceClient({ baseUrl: s.url.replace("https:", "http:"), timeoutMs: 5000 });
      expect((await codeOf(plain.listModels())).code).not.toBe("ok");
    } finally {
      await s.server.close();
    }
  });

  it("mutual TLS: no client certificate and one from another CA are refused; a good one is logged by subject", async () => {
    const s = await startTestServer({
      tlsCertFile: certs.serverCert,
      tlsKeyFile: certs.serverKey,
      tlsClientCaFile: certs.caCert,
    });
    try {
      const ca = certs.read(certs.caCert);
      const none = createFlorenceClient({ baseUrl: s.url, tls: { ca }, timeoutMs: 5000 });
      expect((await codeOf(none.listModels())).code).not.toBe("ok");
      const wrong = createFlorenceClient({
        baseUrl: s.url,
        tls: { ca, cert: certs.read(certs.otherClientCert), key: certs.read(certs.otherClientKey) },
        timeoutMs: 5000,
      });
      expect((await codeOf(wrong.listModels())).code).not.toBe("ok");
      const good = createFlorenceClient({
        baseUrl: s.url,
        tls: { ca, cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) },
      });
      expect((await good.listModels()).models.length).toBe(1);
      const entry = s.logs.find((l) => l.msg === "request" && "caller" in l);
      expect(entry && "caller" in entry ? entry.caller : undefined).toBe("cert:CN=client");
    } finally {
      await s.server.close();
    }
  });

  it("mutual TLS with a tokens file needs both: a verified certificate without a token is UNAUTHENTICATED", async () => {
    const s = await startTestServer({
      tlsCertFile: certs.serverCert,
      tlsKeyFile: certs.serverKey,
      tlsClientCaFile: certs.caCert,
      authTokensFile: tokensFile,
    });
    try {
      const tls = {
        ca: certs.read(certs.caCert),
        cert: certs.read(certs.clientCert),
        key: certs.read(certs.clientKey),
      };
      expect((await codeOf(createFlorenceClient({ baseUrl: s.url, tls }).listModels())).code).toBe(
        Code.Unauthenticated,
      );
      expect((await createFlorenceClient({ baseUrl: s.url, tls, token: TOKEN_A }).listModels()).models.length).toBe(1);
    } finally {
      await s.server.close();
    }
  });

  it("tokens: missing and wrong get the same UNAUTHENTICATED; the right one passes and is logged by name, never by value", async () => {
    const s = await startTestServer({ authTokensFile: tokensFile });
    try {
      const missing = await codeOf(createFlorenceClient({ baseUrl: s.url }).listModels());
      const wrong = await codeOf(createFlorenceClient({ baseUrl: s.url, token: TOKEN_B }).listModels());
      const malformed = await codeOf(
        createFlorenceClient({ baseUrl: s.url, headers: { authorization: `Basic ${TOKEN_A}` } }).listModels(),
      );
      expect(missing).toEqual({ code: Code.Unauthenticated, message: UNAUTHENTICATED_MESSAGE });
      expect(wrong).toEqual(missing);
      expect(malformed).toEqual(missing);
      for (const protocol of ["grpc", "grpc-web", "connect"] as const) {
        expect(
          (await createFlorenceClient({ baseUrl: s.url, protocol, token: TOKEN_A }).listModels()).models.length,
        ).toBe(1);
      }
      const requests = s.logs.filter((l) => l.msg === "request");
      expect(requests.length).toBe(3);
      for (const r of requests) expect("caller" in r ? r.caller : undefined).toBe("ci");
      expect(JSON.stringify(s.logs)).not.toContain(TOKEN_A);
      expect(JSON.stringify(s.logs)).not.toContain(TOKEN_B);
    } finally {
      await s.server.close();
    }
  });

  it("health and reflection are open by default; authHealth closes health", async () => {
    const open = await startTestServer({ authTokensFile: tokensFile });
    const closed = await startTestServer({ authTokensFile: tokensFile, authHealth: true });
    try {
      const check = (s: TestServer, token?: string) =>
        createClient(Health, createGrpcTransport({ baseUrl: s.url })).check(
          { service: "" },
          token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
        );
      expect((await check(open)).status).toBe(Status.SERVING);
      expect((await codeOf(check(closed))).code).toBe(Code.Unauthenticated);
      expect((await check(closed, TOKEN_A)).status).toBe(Status.SERVING);
    } finally {
      await Promise.all([open.server.close(), closed.server.close()]);
    }
  });

  it("reload() switches tokens and certificates without dropping an open connection; a bad tokens file keeps the old ones", async () => {
    const dir = certs.dir;
    const certFile = join(dir, "live.crt");
    const keyFile = join(dir, "live.key");
    const liveTokens = join(dir, "live-tokens");
    copyFileSync(certs.serverCert, certFile);
    copyFileSync(certs.serverKey, keyFile);
    writeFileSync(liveTokens, `${TOKEN_A}\n`);
    const s = await startTestServer({
      tlsCertFile: certFile,
      tlsKeyFile: keyFile,
      authTokensFile: liveTokens,
      authHealth: true,
    });
    const second = makeCertSet();
    try {
      const ca = certs.read(certs.caCert);
      // One transport = one HTTP/2 connection, kept open by a Watch stream across the reloads.
      const transport = createGrpcTransport({ baseUrl: s.url, nodeOptions: { ca } });
      const health = createClient(Health, transport);
      const seen: Status[] = [];
      const watch = new AbortController();
      let changed: () => void = () => {};
      const sawChange = new Promise<void>((r) => (changed = r));
      const watching = (async () => {
        for await (const r of health.watch(
          { service: "" },
          { signal: watch.signal, headers: { authorization: `Bearer ${TOKEN_A}` } },
        )) {
          seen.push(r.status);
          if (r.status === Status.NOT_SERVING) changed();
        }
      })().catch((e: unknown) => ConnectError.from(e));
      const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      expect((await health.check({ service: "" }, withToken(TOKEN_A))).status).toBe(Status.SERVING);

      writeFileSync(liveTokens, "not a token file at all\n");
      expect(s.server.reload().tokens).toEqual({ error: expect.stringMatching(/--auth-tokens-file.*line 1/) });
      expect((await health.check({ service: "" }, withToken(TOKEN_A))).status).toBe(Status.SERVING);

      writeFileSync(liveTokens, `${TOKEN_B}\n`);
      copyFileSync(second.serverCert, certFile);
      copyFileSync(second.serverKey, keyFile);
      expect(s.server.reload()).toEqual({ tls: "reloaded", tokens: "reloaded" });
      // Same connection: the new token works, the old one no longer does.
      expect((await codeOf(health.check({ service: "" }, withToken(TOKEN_A)))).code).toBe(Code.Unauthenticated);
      expect((await health.check({ service: "" }, withToken(TOKEN_B))).status).toBe(Status.SERVING);
      // New connections get the new certificate: trusted by the second CA only.
      const newCa = createFlorenceClient({ baseUrl: s.url, tls: { ca: second.read(second.caCert) }, token: TOKEN_B });
      expect((await newCa.listModels()).models.length).toBe(1);
      const oldCa = createFlorenceClient({ baseUrl: s.url, tls: { ca }, token: TOKEN_B, timeoutMs: 5000 });
      expect((await codeOf(oldCa.listModels())).code).not.toBe("ok");
      // The Watch stream opened before both reloads is still there and still delivers.
      s.server.health.setAll(ServingStatus.NOT_SERVING);
      await sawChange;
      expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
      watch.abort();
      await watching;
    } finally {
      second.remove();
      await s.server.close();
    }
  });
});
