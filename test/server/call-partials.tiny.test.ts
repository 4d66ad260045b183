/**
 * `florence2 call --partials`, spawned as users run it against a real server on the tiny
 * random-weight fixture: one compact JSON line per partial text as RunStream sends it, each a prefix
 * of the final answer and never shrinking, then the result exactly as `call` prints it without the
 * flag; the argument checks refuse with exit status 2 before connecting.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { runCli } from "../support/run-cli.js";

const MODEL = fileURLToPath(new URL("../fixtures/tiny", import.meta.url));
const COFFEE = "test/fixtures/images/coffee.jpg";
/** Exactly this many tokens, greedy: the answer is the same with and without --partials. */
const TOKENS = "24";

let florence: Florence;
let server: FlorenceServer;
let url: string;

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, host: "127.0.0.1", port: 0, logger: silentLogger });
  ({ url } = await server.listen());
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

function cli(args: readonly string[]) {
  return runCli(args, { FLORENCE2_CALL_MODEL: "", FLORENCE2_PARTIALS: "", FLORENCE2_PARTIAL_INTERVAL_MS: "" });
}

const call = (task: string, ...more: string[]) => [
  "call",
  "--url",
  url,
  "--task",
  task,
  "--num-beams",
  "1",
  "--max-new-tokens",
  TOKENS,
  ...more,
];

interface Partial {
  readonly partial: string;
  readonly tokens: number;
}

/** stdout of `call --partials`: its partial lines (they come first), then the result as call prints it. */
function split(stdout: string): { partials: Partial[]; result: string } {
  const lines = stdout.split("\n");
  const first = lines.findIndex((l) => !l.startsWith('{"partial":'));
  return {
    partials: lines.slice(0, first).map((l) => JSON.parse(l) as Partial),
    result: lines.slice(first).join("\n"),
  };
}

function expectGrowingPrefixes(partials: readonly Partial[], final: string): void {
  let previous: Partial = { partial: "", tokens: 0 };
  for (const p of partials) {
    expect(p.partial.startsWith(previous.partial), `${JSON.stringify(p)} after ${JSON.stringify(previous)}`).toBe(true);
    expect(p.tokens).toBeGreaterThan(previous.tokens);
    expect(final.startsWith(p.partial)).toBe(true);
    previous = p;
  }
}

describe("florence2 call --partials", () => {
  it("prints the growing answer as JSON lines, then the result exactly as call without --partials", async () => {
    const streamed = await cli(call("<CAPTION>", "--image", COFFEE, "--partials", "--partial-interval-ms", "0"));
    expect(streamed.code, streamed.stderr).toBe(0);
    const plain = await cli(call("<CAPTION>", "--image", COFFEE));
    expect(plain.code, plain.stderr).toBe(0);
    const { partials, result } = split(streamed.stdout);
    const final = JSON.parse(result) as { text: string; generatedTokens: number };
    expect(partials.length).toBeGreaterThan(1);
    expectGrowingPrefixes(partials, final.text);
    expect(partials.at(-1)?.tokens).toBeLessThanOrEqual(final.generatedTokens);
    expect(result).toBe(plain.stdout);
  });

  it("a task whose answer is not text streams the raw text's prefixes and ends with its result", async () => {
    const r = await cli(call("<OD>", "--image", COFFEE, "--partials", "--partial-interval-ms", "0"));
    expect(r.code, r.stderr).toBe(0);
    const { partials, result } = split(r.stdout);
    const final = JSON.parse(result) as { task: string; rawText: string };
    expect(final.task).toBe("object_detection");
    expect(partials.length).toBeGreaterThan(0);
    expectGrowingPrefixes(partials, final.rawText.replace(/<\/?s>|<pad>/g, "").trim());
  });

  it.each<[string, string[], RegExp]>([
    [
      "several images",
      ["--image", COFFEE, "--image", COFFEE, "--partials"],
      /--partials streams one image's answer, and 2 --image were given; give one --image, or drop --partials/,
    ],
    [
      "an interval without --partials",
      ["--image", COFFEE, "--partial-interval-ms", "5"],
      /--partial-interval-ms applies to --partials only/,
    ],
    [
      "an interval over the server's limit",
      ["--image", COFFEE, "--partials", "--partial-interval-ms", "70000"],
      /over 60000/,
    ],
  ])("refuses %s with exit status 2, saying what to change", async (_, args, message) => {
    const r = await cli(call("<CAPTION>", ...args));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });
});
