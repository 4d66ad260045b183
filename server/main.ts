/**
 * Process entry helper: start a server, wire SIGTERM/SIGINT to a graceful close and SIGHUP to
 * reload (certificates and tokens). The CLI
 * parses its flags into StartServerOptions and calls startServer; nothing here reads argv or env.
 */
import { insecureExposureProblem } from "./auth.js";
import { DEFAULT_SERVER_OPTIONS } from "./options.js";
import type { FlorenceServer, FlorenceServerInit, ServerAddress } from "./server.js";
import { createFlorenceServer } from "./server.js";

export interface StartServerOptions extends FlorenceServerInit {
  /**
   * Close gracefully (ServerOptions.shutdownGraceMs) on SIGTERM and SIGINT; a second signal exits
   * at once with code 1. Default true; embedders that own the process's signals turn it off.
   */
  readonly handleSignals?: boolean;
  /**
   * Allow listening on a non-loopback host with neither TLS nor tokens (a trusted network, or TLS
   * ended by a proxy in front). Default false: startServer refuses, saying what to pass.
   */
  readonly insecure?: boolean;
}

/** Why startServer refuses to start, naming what to pass; thrown before anything listens. */
export class InsecureExposureError extends Error {
  override readonly name = "InsecureExposureError";
}

export interface RunningServer {
  readonly server: FlorenceServer;
  readonly address: ServerAddress;
}

/** A server created and (by default) wired to signals, its port not open yet. */
export interface PreparedServer {
  readonly server: FlorenceServer;
  /** Opens the port; when that fails (in use, not permitted), closes the server and rejects. */
  listen(): Promise<ServerAddress>;
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * startServer without the listen, for a caller that opens the port later (`florence2 serve
 * --listen-after-load` does once the model has loaded). The model loads start at once.
 */
export function prepareServer(options: StartServerOptions): PreparedServer {
  const { handleSignals = true, insecure = false, ...init } = options;
  const problem = insecureExposureProblem({
    host: init.host ?? DEFAULT_SERVER_OPTIONS.host,
    tls: init.tlsCertFile !== undefined,
    tokens: init.authTokensFile !== undefined,
    insecure,
  });
  if (problem !== undefined) throw new InsecureExposureError(problem);
  const server = createFlorenceServer(init);
  if (handleSignals) closeOnSignals(server);
  return {
    server,
    async listen() {
      try {
        return await server.listen();
      } catch (e) {
        // Nothing would serve: stop the model loads and remove the signal handlers.
        await server.close({ graceMs: 0 });
        throw e;
      }
    },
  };
}

/** Creates the server, listens, and (by default) closes it on SIGTERM/SIGINT until it has closed. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const prepared = prepareServer(options);
  return { server: prepared.server, address: await prepared.listen() };
}

/** SIGTERM/SIGINT close gracefully (a second one exits), SIGHUP reloads; removed once closed. */
function closeOnSignals(server: FlorenceServer): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      server.options.logger({ level: "warn", msg: `second ${signal}: exiting without waiting for the drain` });
      process.exit(1);
    }
    signalled = true;
    server.options.logger({ level: "info", msg: `${signal}: shutting down` });
    void server.close();
  };
  const onHangup = () => {
    server.options.logger({ level: "info", msg: "SIGHUP: reloading certificates and tokens" });
    server.reload();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on("SIGHUP", onHangup);
  void server.closed.then(() => {
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off("SIGHUP", onHangup);
  });
}
