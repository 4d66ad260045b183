/**
 * A model that cannot be loaded, with the real loader (createFlorence) over the wire: the answer to
 * a request, to LoadModel and ListModels' load_error name the model and the reason but no
 * filesystem path; the server log has the full message, path included.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createFlorenceClient, type FlorenceClient } from "../../client/index.js";
import { createFlorence } from "../../models/index.js";
import { HIDDEN_FOLDER } from "../../server/hide-paths.js";
import type { LogEntry, RequestLogEntry } from "../../server/logger.js";
import { createFlorenceServer, type FlorenceServer } from "../../server/server.js";

const FIXTURE = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
const SMALL = { maxNewTokens: 4, numBeams: 1 } as const;

let dir: string;
let server: FlorenceServer;
let client: FlorenceClient;
const logs: LogEntry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "florence-load-errors-"));
  cpSync(FIXTURE, join(dir, "good"), { recursive: true });
  cpSync(FIXTURE, join(dir, "broken"), { recursive: true });
  writeFileSync(join(dir, "broken", "config.json"), "{ not json");
  const load = (folder: string) => () => createFlorence({ model: join(dir, folder), workers: 1 });
  server = createFlorenceServer({
    models: [
      { name: "good", load: load("good") },
      { name: "gone", load: load("no-such-folder") },
      { name: "broken", load: load("broken") },
    ],
    host: "127.0.0.1",
    port: 0,
    logger: (entry) => logs.push(entry),
  });
  const { url } = await server.listen();
  client = createFlorenceClient({ baseUrl: url, retry: false });
  expect(await server.ready).toBe(true);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error("the call succeeded, but it should have failed");
    },
    (e: unknown) => ConnectError.from(e),
  );
}

/** The request log lines of failed calls on `model`, with their hidden causes. */
function loggedFailures(model: string): RequestLogEntry[] {
  return logs.filter(
    (l): l is RequestLogEntry => l.msg === "request" && l.model === model && "code" in l && l.code !== "ok",
  );
}

describe("a model that cannot be loaded", () => {
  it("a request for a missing folder: the model and the reason, no path; the log has the path", async () => {
    const e = await failure(client.captionImage(await readFile(IMAGE), { ...SMALL, model: "gone" }));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toBe(
      `model "gone" could not be loaded: model folder ${HIDDEN_FOLDER} does not exist (or is not a folder)`,
    );
    expect(e.rawMessage).not.toContain(dir);
    const [logged] = loggedFailures("gone");
    expect(logged?.cause).toContain(join(dir, "no-such-folder"));
  });

  it("LoadModel of a folder with a bad config.json, and ListModels after it, say which file, no path", async () => {
    const e = await failure(client.loadModel("broken"));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toMatch(/^model "broken" could not be loaded: config\.json is not valid JSON/);
    expect(e.rawMessage).not.toContain(dir);
    const listed = (await client.listServedModels()).models.find((m) => m.name === "broken");
    expect(listed?.state).toBe("failed");
    expect(listed?.loadError).toBe(e.rawMessage);
    expect(loggedFailures("broken")[0]?.cause).toContain("config.json is not valid JSON");
  });

  it("the model that loads still answers", async () => {
    await expect(client.captionImage(await readFile(IMAGE), { ...SMALL, model: "good" })).resolves.toHaveLength(1);
  });
});
