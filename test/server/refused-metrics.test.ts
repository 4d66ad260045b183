/**
 * A request over readMaxBytes is refused by connect before any handler of ours runs; the router
 * wrapper (server/connect-answers.ts, given the server's metrics) counts it once in
 * florence2_requests_total with the method and the code the client got, and in the duration
 * histogram, over every protocol. The full server's wiring is checked in refused-metrics.tiny.test.ts.
 */
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { connectionContextValues } from "../../server/call-log.js";
import { answerDecodeErrorsAsInvalidArgument } from "../../server/errors.js";
import { DualProtocolListener } from "../../server/listener.js";
import { silentLogger } from "../../server/logger.js";
import { ServerMetrics } from "../../server/metrics.js";
import { DEFAULT_SERVER_OPTIONS } from "../../server/options.js";
import { client, encodedImage, TRANSPORTS } from "./harness.js";

const LIMIT = 64 * 1024;
const METHOD = "florence.v1.FlorenceService/CaptionImage";
let listener: DualProtocolListener;
let url: string;
/** Labelled by model, as a server with named models is: the refused call's model label is "". */
const metrics = new ServerMetrics(
  { queueDepth: () => 0, engineStats: async () => new Map(), modelLoadSeconds: () => new Map() },
  true,
);

beforeAll(async () => {
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(FlorenceService, { captionImage: async () => ({ results: [] }) });
      answerDecodeErrorsAsInvalidArgument(router, undefined, metrics);
    },
    readMaxBytes: LIMIT,
    contextValues: (req) => connectionContextValues(req.socket),
  });
  listener = new DualProtocolListener(handler, {
    ...DEFAULT_SERVER_OPTIONS,
    logger: silentLogger,
    tls: undefined,
    requireClientCert: false,
  });
  const address: AddressInfo = await listener.listen(0, "127.0.0.1");
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  listener.destroyAll();
  await listener.stopAccepting();
});

/** The value of one series of the exposition, 0 when it is absent. */
async function seriesValue(series: string): Promise<number> {
  const line = (await metrics.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const refusedCount = `florence2_requests_total{method="${METHOD}",code="resource_exhausted",model=""}`;
const durationCount = `florence2_request_duration_seconds_count{method="${METHOD}",model=""}`;

describe.each(TRANSPORTS)("over %s", (transport) => {
  it('a request over readMaxBytes is counted once, as resource_exhausted with model ""', async () => {
    const before = { refused: await seriesValue(refusedCount), durations: await seriesValue(durationCount) };
    const e = await client(FlorenceService, url, transport)
      .captionImage({ images: [encodedImage(2 * LIMIT)] })
      .then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    expect(e?.code).toBe(Code.ResourceExhausted);
    await expect.poll(() => seriesValue(refusedCount)).toBe(before.refused + 1);
    expect(await seriesValue(durationCount)).toBe(before.durations + 1);
  });

  it("a call under the limit is not counted here (its handler's wrapper counts it)", async () => {
    const before = await seriesValue(durationCount);
    await client(FlorenceService, url, transport).captionImage({ images: [encodedImage(64)] });
    expect(await seriesValue(durationCount)).toBe(before);
  });
});

it("the in-flight gauge is untouched by refused calls (they never started)", async () => {
  expect(await metrics.metrics()).toMatch(/^florence2_inflight_requests 0$/m);
});
