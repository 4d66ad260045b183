import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { engineDefaults } from "../models/index.js";
import { UsageError } from "./args.js";
import {
  CALL_FLAGS,
  CALL_MODEL_FLAG,
  CALL_PARTIALS_FLAGS,
  engineSettings,
  HUB_ENVIRONMENT,
  MODEL_FLAGS,
  partialsSettings,
  REQUEST_FLAGS,
  LISTEN_AFTER_LOAD_FLAG,
  RETRY_LOAD_FLAG,
} from "./command-flags.js";
import { envOf, flagHelp, parseArgsOptions, readList, readSwitch, readText } from "./flag-table.js";
import { commandHelp, mainHelp, packageVersion } from "./help.js";
import { SERVER_FLAGS } from "./server-flags.js";

function settings(argv: string[], env: Record<string, string> = {}) {
  const { values } = parseArgs({ args: argv, options: parseArgsOptions(MODEL_FLAGS), strict: true });
  return engineSettings(values, env);
}

describe("engineSettings", () => {
  it.each<[string, string[], Record<string, string>, object]>([
    ["the model alone", ["--model", "m"], {}, { model: "m" }],
    ["the model from the environment", [], { FLORENCE2_MODEL: "env-model" }, { model: "env-model" }],
    ["the flag over the environment", ["--model", "m"], { FLORENCE2_MODEL: "env-model" }, { model: "m" }],
    [
      "every engine flag",
      [
        "--model",
        "m",
        "--dtype",
        "q8",
        "--device",
        "cuda",
        "--revision",
        "v2",
        "--cache-dir",
        "/c",
        "--offline",
        "--threads",
        "0",
        "--workers",
        "2",
      ],
      {},
      {
        model: "m",
        dtype: "q8",
        executionProvider: "cuda",
        revision: "v2",
        cacheDir: "/c",
        offline: true,
        intraOpNumThreads: 0,
        workers: 2,
      },
    ],
    [
      "batching from the environment",
      ["--model", "m"],
      { FLORENCE2_MAX_BATCH_SIZE: "4", FLORENCE2_MAX_DELAY_MS: "0", FLORENCE2_VISION_CACHE_MB: "2" },
      { model: "m", maxBatchSize: 4, maxDelayMs: 0, visionCacheBytes: 2 * 1024 * 1024 },
    ],
    [
      "--cache-dir reads FLORENCE2_CACHE, the hub client's variable",
      ["--model", "m"],
      { FLORENCE2_CACHE: "/cache" },
      { model: "m", cacheDir: "/cache" },
    ],
    ["FLORENCE2_OFFLINE", ["--model", "m"], { FLORENCE2_OFFLINE: "1" }, { model: "m", offline: true }],
    [
      "preprocessing threads: the flag, the environment, 0 keeps them on the worker",
      ["--model", "m", "--preprocess-workers", "2"],
      {},
      { model: "m", preprocessWorkers: 2 },
    ],
    [
      "FLORENCE2_PREPROCESS_WORKERS",
      ["--model", "m"],
      { FLORENCE2_PREPROCESS_WORKERS: "0" },
      { model: "m", preprocessWorkers: 0 },
    ],
    [
      "offline off leaves HF_HUB_OFFLINE to the hub client",
      ["--model", "m"],
      { FLORENCE2_OFFLINE: "0" },
      { model: "m" },
    ],
  ])("%s", (_name, argv, env, expected) => {
    expect(settings(argv, env)).toEqual(expected);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ["no model", [], {}, /--model is required/],
    ["a bad dtype", ["--model", "m", "--dtype", "fp64"], {}, /--dtype fp64 is not a model precision/],
    ["a bad device", ["--model", "m"], { FLORENCE2_DEVICE: "tpu" }, /--device tpu is not supported/],
    ["no workers", ["--model", "m", "--workers", "0"], {}, /--workers 0 must be a whole number >= 1/],
    ["negative preprocessing threads", ["--model", "m", "--preprocess-workers=-1"], {}, /--preprocess-workers/],
    [
      "a negative cache",
      ["--model", "m", "--vision-cache-mb=-1"],
      {},
      /--vision-cache-mb -1 must be a whole number >= 0/,
    ],
  ])("refuses %s, naming the flag", (_name, argv, env, message) => {
    expect(() => settings(argv, env)).toThrow(UsageError);
    expect(() => settings(argv, env)).toThrow(message);
  });

  it("shows the engine's own defaults", () => {
    const help = flagHelp(MODEL_FLAGS);
    expect(help).toContain(`(default ${engineDefaults.maxBatchSize}); env FLORENCE2_MAX_BATCH_SIZE`);
    expect(help).toMatch(/--vision-cache-mb N\n\s+.*\(default 256\); env FLORENCE2_VISION_CACHE_MB/);
  });
});

describe("flag-table", () => {
  const list = { flag: "image", value: "FILE", multiple: true, help: "" };
  const own = { flag: "cache-dir", value: "DIR", env: "FLORENCE2_CACHE", help: "" };
  const sw = { flag: "offline", help: "", env: "X_OFFLINE" };
  it.each<[string, unknown, unknown]>([
    ["a repeated flag", readList({ image: ["a", "b"] }, list, { FLORENCE2_IMAGE: "c" }), ["a", "b"]],
    ["a comma-separated variable", readList({}, list, { FLORENCE2_IMAGE: "c, d," }), ["c", "d"]],
    ["neither", readList({}, list, {}), undefined],
    ["a row's own variable", readText({}, own, { FLORENCE2_CACHE: "/c", FLORENCE2_CACHE_DIR: "/x" }), "/c"],
    ["an empty variable", readText({}, own, { FLORENCE2_CACHE: "" }), undefined],
    ["a switch's own variable", readSwitch({}, sw, { X_OFFLINE: "yes" }), true],
    ["the default variable name", envOf(list), "FLORENCE2_IMAGE"],
    [
      "parseArgs options",
      parseArgsOptions([list, own, sw]),
      { image: { type: "string", multiple: true }, "cache-dir": { type: "string" }, offline: { type: "boolean" } },
    ],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });
});

describe("help", () => {
  it.each([
    ["run", [...REQUEST_FLAGS, ...MODEL_FLAGS]],
    ["serve", [...MODEL_FLAGS, RETRY_LOAD_FLAG, LISTEN_AFTER_LOAD_FLAG, ...SERVER_FLAGS]],
    ["call", [...CALL_FLAGS, CALL_MODEL_FLAG, ...REQUEST_FLAGS]],
  ] as const)("%s --help names every flag it accepts, with its variable", (command, flags) => {
    const help = commandHelp(command);
    for (const f of flags) {
      expect(help).toContain(`--${f.flag}`);
      expect(help).toContain(
        `env ${"env" in f && f.env !== undefined ? f.env : `FLORENCE2_${f.flag.toUpperCase().replaceAll("-", "_")}`}`,
      );
    }
    expect(help).toContain("--help");
  });

  it("documents the hub's variables where a model is loaded, and every command at the top", () => {
    for (const v of HUB_ENVIRONMENT) {
      expect(commandHelp("serve")).toContain(v.name);
      expect(commandHelp("run")).toContain(v.name);
      expect(mainHelp()).toContain(v.name);
    }
    expect(mainHelp()).toMatch(/run .*\n\s+serve .*\n\s+call /);
    expect(mainHelp()).toContain("--version");
  });

  it.each([
    ["serve", "Usage: florence2 serve --model [NAME=]DIR|ID [--model ...] [flags]"],
    ["call", 'Usage: florence2 call [--url URL] [--model NAME] --task "<CAPTION>" --image FILE [flags]'],
  ] as const)("%s's usage line", (command, line) => {
    expect(commandHelp(command).split("\n")[0]).toBe(line);
  });

  it("call's --model has its own variable: FLORENCE2_MODEL configures serve", () => {
    expect(envOf(CALL_MODEL_FLAG)).toBe("FLORENCE2_CALL_MODEL");
    expect(readText({}, CALL_MODEL_FLAG, { FLORENCE2_MODEL: "/models/a" })).toBeUndefined();
    expect(readText({}, CALL_MODEL_FLAG, { FLORENCE2_CALL_MODEL: "b" })).toBe("b");
  });

  it("reads the version from package.json", () => {
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("partialsSettings (call --partials)", () => {
  const read = (argv: string[], images: number, env: Record<string, string> = {}) => {
    const { values } = parseArgs({ args: argv, options: parseArgsOptions(CALL_PARTIALS_FLAGS), strict: true });
    return partialsSettings(values, env, images);
  };

  it.each<[string, string[], number, Record<string, string>, object | undefined]>([
    ["off", [], 1, {}, undefined],
    ["off with several images", [], 3, {}, undefined],
    ["on, the server's interval", ["--partials"], 1, {}, {}],
    ["on, every token", ["--partials", "--partial-interval-ms", "0"], 1, {}, { partialIntervalMs: 0 }],
    ["on, the longest interval", ["--partials", "--partial-interval-ms", "60000"], 1, {}, { partialIntervalMs: 60000 }],
    ["on from the environment", [], 1, { FLORENCE2_PARTIALS: "1" }, {}],
    [
      "the interval from the environment",
      ["--partials"],
      1,
      { FLORENCE2_PARTIAL_INTERVAL_MS: "250" },
      { partialIntervalMs: 250 },
    ],
  ])("%s", (_, argv, images, env, expected) => {
    expect(read(argv, images, env)).toEqual(expected);
  });

  it.each<[string, string[], number, RegExp]>([
    [
      "several images",
      ["--partials"],
      2,
      /--partials streams one image's answer, and 2 --image were given; give one --image/,
    ],
    [
      "an interval without --partials",
      ["--partial-interval-ms", "10"],
      1,
      /applies to --partials only; add --partials or drop it/,
    ],
    [
      "a negative interval",
      ["--partials", "--partial-interval-ms=-1"],
      1,
      /--partial-interval-ms -1 must be a whole number >= 0/,
    ],
    [
      "a fractional interval",
      ["--partials", "--partial-interval-ms", "2.5"],
      1,
      /--partial-interval-ms 2.5 must be a whole number/,
    ],
    [
      "an interval over the server's limit",
      ["--partials", "--partial-interval-ms", "60001"],
      1,
      /is over 60000; ask for partial lines more often/,
    ],
  ])("refuses %s with a usage error saying what to change", (_, argv, images, message) => {
    expect(() => read(argv, images)).toThrow(UsageError);
    expect(() => read(argv, images)).toThrow(message);
  });

  it("both flags are in call's help, with their variables", () => {
    const help = commandHelp("call");
    for (const spec of CALL_PARTIALS_FLAGS) {
      expect(help).toContain(`--${spec.flag}`);
      expect(help).toContain(envOf(spec));
    }
    expect(help).toContain('{"partial": TEXT, "tokens": N}');
  });
});
