/**
 * TLS material for the listener: the server's certificate and key, and optionally the CA that
 * client certificates must chain to (mutual TLS). Read from files at start and again on reload;
 * each failure names the option (and its CLI flag) to fix, never the file's contents.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SecureContextOptions } from "node:tls";
import { createSecureContext } from "node:tls";

export interface TlsFiles {
  /** PEM certificate chain of the server. */
  readonly certFile: string;
  /** PEM private key of that certificate. */
  readonly keyFile: string;
  /** PEM CA bundle; set, every client must present a certificate that chains to it. */
  readonly clientCaFile: string | undefined;
}

export interface TlsMaterial {
  /** What tls.createSecureContext / tls.Server take. */
  readonly secureContext: SecureContextOptions;
  /** True with a client CA: certificates are requested and unverified ones refused. */
  readonly requireClientCert: boolean;
}

/** A TLS file that cannot be used; the message names the option and flag. */
export class TlsConfigError extends Error {
  override readonly name = "TlsConfigError";
}

const OPTION_NAMES = {
  certFile: "tlsCertFile (--tls-cert)",
  keyFile: "tlsKeyFile (--tls-key)",
  clientCaFile: "tlsClientCaFile (--tls-client-ca)",
} as const;

/** Which TLS options were given; both cert and key or neither, and a client CA only with them. */
export function tlsFilesOf(options: {
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsClientCaFile: string | undefined;
}): TlsFiles | undefined {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsClientCaFile: clientCaFile } = options;
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) {
      throw new TlsConfigError(
        `${OPTION_NAMES.clientCaFile} needs TLS: also pass ${OPTION_NAMES.certFile} and ${OPTION_NAMES.keyFile}`,
      );
    }
    return undefined;
  }
  if (certFile === undefined)
    throw new TlsConfigError(`${OPTION_NAMES.keyFile} was given without ${OPTION_NAMES.certFile}; pass both`);
  if (keyFile === undefined)
    throw new TlsConfigError(`${OPTION_NAMES.certFile} was given without ${OPTION_NAMES.keyFile}; pass both`);
  return { certFile, keyFile, clientCaFile };
}

function readPem(option: keyof typeof OPTION_NAMES, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    throw new TlsConfigError(`${OPTION_NAMES[option]}: cannot read ${JSON.stringify(path)} (${code})`);
  }
}

/**
 * Reads and checks the files: the certificate and CA parse as PEM X.509, the key parses, and the
 * key belongs to the certificate. Throws TlsConfigError otherwise.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem("certFile", files.certFile);
  const key = readPem("keyFile", files.keyFile);
  const ca = files.clientCaFile === undefined ? undefined : readPem("clientCaFile", files.clientCaFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsConfigError(
      `${OPTION_NAMES.certFile} is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
    );
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsConfigError(`${OPTION_NAMES.keyFile} is not an unencrypted PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(
      `${OPTION_NAMES.keyFile} is not the private key of the certificate in ${OPTION_NAMES.certFile}`,
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new TlsConfigError(`${OPTION_NAMES.clientCaFile} is not a PEM CA certificate bundle`);
    }
  }
  const secureContext: SecureContextOptions = { cert, key, ...(ca === undefined ? {} : { ca }) };
  try {
    createSecureContext(secureContext);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new TlsConfigError(`${OPTION_NAMES.certFile} / ${OPTION_NAMES.keyFile}: OpenSSL refused them (${reason})`);
  }
  return { secureContext, requireClientCert: ca !== undefined };
}

/** The identity of a verified client certificate for logs: "cert:CN=name", or its whole subject. */
export function certificateIdentity(subject: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (subject === undefined) return undefined;
  const cn = subject.CN;
  if (typeof cn === "string" && cn !== "") return `cert:CN=${cn}`;
  const parts = Object.entries(subject).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? `cert:${parts.join(",")}` : "cert:(empty subject)";
}
