/**
 * Process entry helper: start a server and wire SIGTERM/SIGINT to a graceful close. The CLI
 * parses its flags into StartServerOptions and calls startServer; nothing here reads argv or env.
 */
import type { FlorenceServer, FlorenceServerInit, ServerAddress } from "./server.js";
import { createFlorenceServer } from "./server.js";

export interface StartServerOptions extends FlorenceServerInit {
  /**
   * Close gracefully (ServerOptions.shutdownGraceMs) on SIGTERM and SIGINT; a second signal exits
   * at once with code 1. Default true; embedders that own the process's signals turn it off.
   */
  readonly handleSignals?: boolean;
}

export interface RunningServer {
  readonly server: FlorenceServer;
  readonly address: ServerAddress;
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Creates the server, listens, and (by default) installs the signal handlers until it closes. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { handleSignals = true, ...init } = options;
  const server = createFlorenceServer(init);
  const address = await server.listen();
  if (handleSignals) {
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
    for (const s of SIGNALS) process.on(s, onSignal);
    void server.closed.then(() => {
      for (const s of SIGNALS) process.off(s, onSignal);
    });
  }
  return { server, address };
}
