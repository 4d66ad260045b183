/**
 * The load driver of deploy/scale-out-test: `concurrency` loops send CaptionImage through one
 * address (nginx in front of the replicas) or, with several --target flags, through the
 * client-side balanced transport, until `durationS` passes or `maxRequests` were sent. Each call
 * retries UNAVAILABLE (client/retry.ts). The last line is `N sent, N answered, N lost`:
 *   answered  a result came back (possibly after retries);
 *   gave up   a retryable code (UNAVAILABLE) was still the answer after every attempt: the caller
 *             was told to retry, so the request is not lost, but it is reported;
 *   lost      anything else: another error code, a malformed result, no answer.
 *
 *   node --import tsx deploy/scale-out/load.ts --target http://127.0.0.1:8080 --duration-s 45
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createBalancedTransport } from "../../client/balanced-transport.js";
import { createFlorenceClient } from "../../client/index.js";
import { createRetryInterceptor, type RetryOptionsInit } from "../../client/retry.js";

const { values } = parseArgs({
  options: {
    target: { type: "string", multiple: true },
    "duration-s": { type: "string", default: "45" },
    "max-requests": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    image: { type: "string", default: "test/fixtures/images/tiny_12x9.png" },
  },
});
const targets = values.target ?? [];
if (targets.length === 0) throw new Error("--target URL is required (repeat it for client-side balancing)");
const durationMs = Number(values["duration-s"]) * 1000;
const maxRequests = Number(values["max-requests"]);
const concurrency = Number(values.concurrency);
const image = new Uint8Array(readFileSync(values.image));
// The random-weight fixture never says </s>: a short generation keeps each call in the tens of
// ms, so the test is about routing and failover, not decoding.
const maxNewTokens = 8;

const counts = { sent: 0, answered: 0, gaveUp: 0, lost: 0, retries: 0 };
const lostCodes = new Map<string, number>();
/** Why calls were retried: the failed attempt's message up to its first colon (no ports or ids). */
const retryReasons = new Map<string, number>();
const retry: RetryOptionsInit = {
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  onRetry: ({ error }) => {
    counts.retries++;
    const reason = error.rawMessage.split(":")[0] ?? "";
    retryReasons.set(reason, (retryReasons.get(reason) ?? 0) + 1);
  },
};

const transport: Transport =
  targets.length === 1
    ? createGrpcTransport({ baseUrl: targets[0] as string, interceptors: [createRetryInterceptor(retry)] })
    : createBalancedTransport({ targets: targets.map((baseUrl) => createGrpcTransport({ baseUrl })), retry });
const florence = createFlorenceClient({ transport, timeoutMs: 20_000 });

function noteLost(why: string): void {
  counts.lost++;
  lostCodes.set(why, (lostCodes.get(why) ?? 0) + 1);
}

const deadline = performance.now() + durationMs;
async function loop(): Promise<void> {
  while (performance.now() < deadline && counts.sent < maxRequests) {
    counts.sent++;
    try {
      const [result, ...extra] = await florence.captionImage(image, { maxNewTokens });
      if (result !== undefined && extra.length === 0 && typeof result.text === "string") counts.answered++;
      else noteLost("malformed result");
    } catch (e) {
      const error = ConnectError.from(e);
      if (error.code === Code.Unavailable) counts.gaveUp++;
      else noteLost(Code[error.code] ?? String(error.code));
    }
  }
}

const progress = setInterval(() => {
  process.stdout.write(`  ${counts.sent} sent, ${counts.answered} answered, ${counts.retries} retries\n`);
}, 5000);
await Promise.all(Array.from({ length: concurrency }, loop));
clearInterval(progress);
const why = [...lostCodes].map(([code, n]) => `${code} ${n}`).join(", ");
for (const [reason, n] of [...retryReasons].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`  retried ${n}x after: ${reason}\n`);
}
process.stdout.write(
  `retries ${counts.retries}; gave up (UNAVAILABLE after ${retry.maxAttempts} attempts) ${counts.gaveUp}${why ? `; lost: ${why}` : ""}\n`,
);
process.stdout.write(`${counts.sent} sent, ${counts.answered} answered, ${counts.lost} lost\n`);
process.exit(counts.lost === 0 && counts.gaveUp === 0 ? 0 : 1);
