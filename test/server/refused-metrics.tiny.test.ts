/**
 * The whole server (tiny fixture, as served): a request over readMaxBytes, refused by connect before
 * any handler runs, shows in GET /metrics as one more florence2_requests_total with the method and
 * resource_exhausted, so an error-rate dashboard sees it (it is logged too: refused-log.test.ts).
 * Needs server.ts to hand its metrics to answerDecodeErrorsAsInvalidArgument.
 */
import { readFile } from "node:fs/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer } from "../../server/index.js";
import type { LogEntry } from "../../server/logger.js";
import { client, TRANSPORTS } from "./harness.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const COFFEE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
const LIMIT = 256 * 1024;
const METHOD = "florence.v1.FlorenceService/CaptionImage";

let florence: Florence;
let server: FlorenceServer;
let url: string;
let coffee: Uint8Array;
const logs: LogEntry[] = [];

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, port: 0, readMaxBytes: LIMIT, logger: (e) => logs.push(e) });
  url = (await server.listen()).url;
  coffee = await readFile(COFFEE);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

/** florence2_requests_total of CaptionImage by code, from GET /metrics (a server of one engine: no model label). */
async function captionCounts(): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^florence2_requests_total\{method="([^"]+)",code="([a-z_]+)"\} (\d+)$/gm)) {
    if (m[1] === METHOD) counts.set(m[2] as string, Number(m[3]));
  }
  return counts;
}

describe.each(TRANSPORTS)("over %s", (transport) => {
  it("an over-size request is counted once in florence2_requests_total as resource_exhausted", async () => {
    const before = await captionCounts();
    const big = new Uint8Array(2 * LIMIT).fill(0x5a);
    const e = await client(FlorenceService, url, transport)
      .captionImage({ images: [{ source: { case: "encoded", value: big } }] })
      .then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    expect(e?.code).toBe(Code.ResourceExhausted);
    await expect
      .poll(async () => (await captionCounts()).get("resource_exhausted") ?? 0)
      .toBe((before.get("resource_exhausted") ?? 0) + 1);
    const after = await captionCounts();
    const grown = [...after].filter(([code, n]) => n !== (before.get(code) ?? 0)).map(([code]) => code);
    expect(grown).toEqual(["resource_exhausted"]);
  });
});

it("a request under the limit is counted as ok, not as refused", async () => {
  const before = await captionCounts();
  await client(FlorenceService, url).captionImage({
    images: [{ source: { case: "encoded", value: coffee } }],
    options: { numBeams: 1, maxNewTokens: 2 },
  });
  const after = await captionCounts();
  expect(after.get("ok")).toBe((before.get("ok") ?? 0) + 1);
  expect(after.get("resource_exhausted")).toBe(before.get("resource_exhausted"));
});
