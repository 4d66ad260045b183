/**
 * What the server's options say about TLS, authentication and connection limits, turned into
 * the pieces server.ts wires up: the listener's options, the auth interceptor, the per-request
 * context values (the verified client certificate), and reload() for SIGHUP.
 */
import type { ContextValues, Interceptor } from "@connectrpc/connect";
import type { TLSSocket } from "node:tls";
import { Authenticator, peerCertificateKey } from "./auth.js";
import type { ListenerOptions } from "./listener.js";
import type { ServerOptions } from "./options.js";
import type { TlsFiles, TlsMaterial } from "./tls.js";
import { certificateIdentity, loadTlsMaterial, tlsFilesOf } from "./tls.js";

/** What reload() did with each part: "reloaded", "unchanged" (not configured) or the error. */
export interface ReloadResult {
  readonly tls: "reloaded" | "unchanged" | { readonly error: string };
  readonly tokens: "reloaded" | "unchanged" | { readonly error: string };
}

export interface Security {
  readonly listenerOptions: ListenerOptions;
  readonly interceptors: Interceptor[];
  /** Adds what the connection proves (its verified client certificate) to a request's values. */
  addConnectionValues(values: ContextValues, socket: unknown): ContextValues;
  /** Re-reads the certificate files and the tokens file; a part that fails keeps its old state. */
  reload(setSecureContext: (material: TlsMaterial) => void): ReloadResult;
}

function isTlsSocket(socket: unknown): socket is Pick<TLSSocket, "authorized" | "getPeerCertificate"> {
  return typeof socket === "object" && socket !== null && "authorized" in socket && "getPeerCertificate" in socket;
}

/** Reads every configured file once; throws an error naming the option when one is unusable. */
export function createSecurity(options: Readonly<ServerOptions>): Security {
  const tlsFiles: TlsFiles | undefined = tlsFilesOf(options);
  const tls = tlsFiles === undefined ? undefined : loadTlsMaterial(tlsFiles);
  const authenticator = new Authenticator({
    tokensFile: options.authTokensFile,
    clientCertificates: tls?.requireClientCert ?? false,
    authHealth: options.authHealth,
    authReflection: options.authReflection,
  });
  const logger = options.logger;
  return {
    listenerOptions: {
      tls: tls?.secureContext,
      requireClientCert: tls?.requireClientCert ?? false,
      maxConnections: options.maxConnections,
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      idleConnectionTimeoutMs: options.idleConnectionTimeoutMs,
      maxStreamsPerConnection: options.maxStreamsPerConnection,
      keepaliveMinIntervalMs: options.keepaliveMinIntervalMs,
      logger,
    },
    interceptors: authenticator.enabled ? [authenticator.interceptor(logger)] : [],
    addConnectionValues(values, socket) {
      if (tls?.requireClientCert && isTlsSocket(socket) && socket.authorized) {
        const identity = certificateIdentity(
          socket.getPeerCertificate().subject as unknown as Record<string, unknown> | undefined,
        );
        if (identity !== undefined) values.set(peerCertificateKey, identity);
      }
      return values;
    },
    reload(setSecureContext) {
      const attempt = (part: string, run: () => void): ReloadResult["tls"] => {
        try {
          run();
          logger({ level: "info", msg: `reloaded ${part}` });
          return "reloaded";
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          logger({ level: "error", msg: `reload of ${part} failed; keeping the previous one: ${error}` });
          return { error };
        }
      };
      return {
        tls:
          tlsFiles === undefined
            ? "unchanged"
            : attempt("TLS certificates", () => setSecureContext(loadTlsMaterial(tlsFiles))),
        tokens:
          options.authTokensFile === undefined ? "unchanged" : attempt("auth tokens", () => authenticator.reload()),
      };
    },
  };
}
