/**
 * `florence2 call`, spawned as users run it against a server of fake engines: --model picks the
 * served model (FLORENCE2_MODEL, which configures serve, does not), an unknown name fails naming
 * the served ones, and in a call of several images an image that fails alone is printed with its
 * error, named on stderr, and makes the exit status 1 while the others are answered.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { FakeEngine } from "../support/fake-engine.js";
import { runCli } from "../support/run-cli.js";

const PNG = "test/fixtures/images/tiny_12x9.png";
/** What the fake engine says of bytes starting with "BAD". */
const NOT_AN_IMAGE = "the image bytes are not a JPEG, PNG, WebP, GIF, TIFF or AVIF file";
const engines = { a: new FakeEngine(), b: new FakeEngine() };
let server: FlorenceServer;
let url: string;
let dir: string;
let notAnImage: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "florence2-call-"));
  notAnImage = join(dir, "notes.txt");
  writeFileSync(notAnImage, "BAD: this is text, not an image");
  server = createFlorenceServer({
    models: (["a", "b"] as const).map((name) => ({ name, load: async () => engines[name], reloadable: false })),
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
  });
  ({ url } = await server.listen());
  expect(await server.ready).toBe(true);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function cli(args: readonly string[], env: Record<string, string> = {}) {
  return runCli(args, { FLORENCE2_CALL_MODEL: "", ...env });
}

const caption = (...more: string[]) => ["call", "--url", url, "--task", "<CAPTION>", "--num-beams", "1", ...more];

describe("florence2 call", () => {
  it("--model NAME runs on that served model; without it, the default (FLORENCE2_MODEL is serve's)", async () => {
    const onB = await cli(caption("--model", "b", "--image", PNG));
    expect(onB.code, onB.stderr).toBe(0);
    expect(JSON.parse(onB.stdout)).toMatchObject({ task: "caption", imageSize: { width: 12, height: 9 } });
    expect([engines.a.calls.length, engines.b.calls.length]).toEqual([0, 1]);
    const onDefault = await cli(caption("--image", PNG), { FLORENCE2_MODEL: "/models/serve-only" });
    expect(onDefault.code, onDefault.stderr).toBe(0);
    expect([engines.a.calls.length, engines.b.calls.length]).toEqual([1, 1]);
    const fromEnv = await cli(caption("--image", PNG), { FLORENCE2_CALL_MODEL: "b" });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect([engines.a.calls.length, engines.b.calls.length]).toEqual([1, 2]);
  });

  it("--model with a name the server does not serve fails with status 1, naming the served ones", async () => {
    const r = await cli(caption("--model", "zzz", "--image", PNG));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no model "zzz" on this server; it has: a, b');
  });

  it("an image that fails alone is printed with its error, named on stderr, and the status is 1", async () => {
    const r = await cli(caption("--image", PNG, "--image", notAnImage, "--image", PNG));
    expect(r.code).toBe(1);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatchObject({ task: "caption", imageSize: { width: 12, height: 9 } });
    expect(printed[2]).toMatchObject({ task: "caption", imageSize: { width: 12, height: 9 } });
    expect(printed[1]).toEqual({
      image: notAnImage,
      task: "caption",
      error: {
        status: "INVALID_ARGUMENT",
        code: 3,
        reason: "invalid_image",
        message: `images[1]: ${NOT_AN_IMAGE}`,
        violations: [{ field: "images[1]", description: NOT_AN_IMAGE }],
      },
    });
    expect(r.stderr.trim().split("\n")).toEqual([
      `florence2 call: ${notAnImage}: INVALID_ARGUMENT (invalid_image): images[1]: ${NOT_AN_IMAGE}`,
    ]);
  });

  it("the help shows --model NAME, its variable and the exit statuses", async () => {
    const r = await cli(["call", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--model NAME");
    expect(r.stdout).toContain("FLORENCE2_CALL_MODEL");
    expect(r.stdout).toMatch(/Exit status: 0 when every image was answered; 1 when some images failed/);
  });
});
