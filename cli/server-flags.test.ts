import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER_OPTIONS, makeServerOptions } from "../server/options.js";
import { UsageError } from "./args.js";
import {
  checkDefaultModel,
  parseModelSpecs,
  parseServerFlags,
  SERVER_FLAGS,
  serverFlagOptions,
  serverFlagsHelp,
} from "./server-flags.js";

function parse(argv: string[], env: Record<string, string> = {}) {
  const { values } = parseArgs({ args: argv, options: serverFlagOptions, strict: true });
  return parseServerFlags(values, env);
}

describe("parseServerFlags", () => {
  it.each<[string, string[], Record<string, string>, object, boolean]>([
    ["nothing given: no option set", [], {}, {}, false],
    ["a count flag", ["--max-connections", "5"], {}, { maxConnections: 5 }, false],
    ["the environment when the flag is absent", [], { FLORENCE2_MAX_CONNECTIONS: "7" }, { maxConnections: 7 }, false],
    [
      "the flag over the environment",
      ["--max-connections", "5"],
      { FLORENCE2_MAX_CONNECTIONS: "7" },
      { maxConnections: 5 },
      false,
    ],
    ["an empty variable is unset", [], { FLORENCE2_TLS_CERT: "" }, {}, false],
    [
      "file flags",
      ["--tls-cert", "c.pem", "--tls-key", "k.pem"],
      {},
      { tlsCertFile: "c.pem", tlsKeyFile: "k.pem" },
      false,
    ],
    [
      "switches",
      ["--auth-health"],
      { FLORENCE2_AUTH_REFLECTION: "yes" },
      { authHealth: true, authReflection: true },
      false,
    ],
    ["a switch turned off in the environment", [], { FLORENCE2_AUTH_HEALTH: "0" }, { authHealth: false }, false],
    [
      "0 is a valid count",
      ["--keepalive-min-interval-ms", "0", "--max-queued-requests", "0"],
      {},
      { keepaliveMinIntervalMs: 0, maxQueuedRequests: 0 },
      false,
    ],
    ["host and port", ["--host", "0.0.0.0", "--port", "0"], {}, { host: "0.0.0.0", port: 0 }, false],
    [
      "the model flags",
      ["--default-model", "ft", "--preload", "--max-loaded-models", "2", "--model-memory-mb", "4096"],
      {},
      { defaultModel: "ft", preloadModels: true, maxLoadedModels: 2, modelMemoryMb: 4096 },
      false,
    ],
    ["--insecure", ["--insecure"], {}, {}, true],
    ["FLORENCE2_INSECURE", [], { FLORENCE2_INSECURE: "true" }, {}, true],
  ])("%s", (_name, argv, env, options, insecure) => {
    expect(parse(argv, env)).toEqual({ options, insecure });
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ["a fraction", ["--max-connections", "1.5"], {}, /--max-connections 1.5 must be a whole number >= 1/],
    [
      "zero where at least one is needed",
      ["--max-request-megapixels", "0"],
      {},
      /--max-request-megapixels 0 must be a whole number >= 1/,
    ],
    [
      "a negative count",
      ["--keepalive-min-interval-ms=-1"],
      {},
      /--keepalive-min-interval-ms -1 must be a whole number >= 0/,
    ],
    ["a bad port", ["--port", "70000"], {}, /--port 70000 must be 0..65535/],
    [
      "a bad number in the environment",
      [],
      { FLORENCE2_STREAM_IDLE_TIMEOUT_MS: "soon" },
      /--stream-idle-timeout-ms soon/,
    ],
    ["a bad switch in the environment", [], { FLORENCE2_AUTH_HEALTH: "maybe" }, /FLORENCE2_AUTH_HEALTH=maybe must be/],
  ])("refuses %s, naming the flag", (_name, argv, env, message) => {
    expect(() => parse(argv, env)).toThrow(UsageError);
    expect(() => parse(argv, env)).toThrow(message);
  });

  it("every option a flag sets is accepted by makeServerOptions at its default", () => {
    const all = Object.fromEntries(SERVER_FLAGS.map((f) => [f.option, DEFAULT_SERVER_OPTIONS[f.option]]));
    expect(() => makeServerOptions(all)).not.toThrow();
  });

  it("flags and options are one-to-one", () => {
    expect(new Set(SERVER_FLAGS.map((f) => f.flag)).size).toBe(SERVER_FLAGS.length);
    expect(new Set(SERVER_FLAGS.map((f) => f.option)).size).toBe(SERVER_FLAGS.length);
  });

  it("every server option but the logger has a flag", () => {
    const flagged = new Set<string>(SERVER_FLAGS.map((f) => f.option));
    // The logger and the tracer provider are objects an embedding program passes; no text sets them.
    const objects = new Set(["logger", "tracerProvider"]);
    const missing = Object.keys(DEFAULT_SERVER_OPTIONS).filter((k) => !objects.has(k) && !flagged.has(k));
    expect(missing).toEqual([]);
  });

  it("the help names every flag with its environment variable and default", () => {
    const help = serverFlagsHelp();
    for (const f of SERVER_FLAGS) expect(help).toContain(`--${f.flag}`);
    expect(help).toContain("env FLORENCE2_MAX_REQUEST_MEGAPIXELS");
    expect(help).toMatch(/--max-connections N\n\s+open connections; more are closed at once \(default 1024\)/);
    expect(help).toContain("--insecure");
  });
});

describe("--cors-allow-origin", () => {
  it.each<[string, string[], Record<string, string>, object]>([
    [
      "repeatable",
      ["--cors-allow-origin", "https://a.example", "--cors-allow-origin", "http://localhost:5173"],
      {},
      { corsAllowedOrigins: ["https://a.example", "http://localhost:5173"] },
    ],
    [
      "comma-separated in the environment",
      [],
      { FLORENCE2_CORS_ALLOW_ORIGIN: "https://a.example, *" },
      { corsAllowedOrigins: ["https://a.example", "*"] },
    ],
    ["a blank variable is unset", [], { FLORENCE2_CORS_ALLOW_ORIGIN: " " }, {}],
  ])("%s", (_name, argv, env, options) => {
    expect(parse(argv, env).options).toEqual(options);
  });
});

describe("parseModelSpecs", () => {
  /** Paths under /models/ are folders in these tests. */
  const isFolder = (path: string) => path.startsWith("/models/") || path === "./my-ft";
  const specs = (argv: string[], env: Record<string, string> = {}) => {
    const { values } = parseArgs({ args: argv, options: serverFlagOptions, strict: true });
    return parseModelSpecs(values, env, isFolder);
  };

  it.each<[string, string[], Record<string, string>, { name: string; source: string }[]]>([
    [
      "a hub id alone: named by the id",
      ["--model", "florence-2-base"],
      {},
      [{ name: "florence-2-base", source: "florence-2-base" }],
    ],
    [
      "owner/name alone",
      ["--model", "acme/florence-ft"],
      {},
      [{ name: "acme/florence-ft", source: "acme/florence-ft" }],
    ],
    [
      "a folder alone: its last component",
      ["--model", "/models/shop-ft/"],
      {},
      [{ name: "shop-ft", source: "/models/shop-ft/" }],
    ],
    [
      "NAME=SOURCE, repeated, in order",
      ["--model", "base=florence-2-base", "--model", "ft=/models/x"],
      {},
      [
        { name: "base", source: "florence-2-base" },
        { name: "ft", source: "/models/x" },
      ],
    ],
    [
      "FLORENCE2_MODEL, comma-separated",
      [],
      { FLORENCE2_MODEL: "base=florence-2-base, ./my-ft" },
      [
        { name: "base", source: "florence-2-base" },
        { name: "my-ft", source: "./my-ft" },
      ],
    ],
    ["the flag over the environment", ["--model", "a=x"], { FLORENCE2_MODEL: "b=y" }, [{ name: "a", source: "x" }]],
    [
      "an = inside a folder's path is part of the source",
      ["--model", "/models/v=2/shop"],
      {},
      [{ name: "shop", source: "/models/v=2/shop" }],
    ],
  ])("%s", (_name, argv, env, expected) => {
    expect(specs(argv, env)).toEqual(expected);
  });

  it.each<[string, string[], RegExp]>([
    ["no model", [], /--model is required/],
    ["a name given twice", ["--model", "a=x", "--model", "a=y"], /the name "a" is given twice/],
    ["the same id twice", ["--model", "florence-2-base", "--model", "florence-2-base"], /given twice; name each/],
    ["an empty source", ["--model", "a="], /the SOURCE after "=" is empty/],
    ["an unusable name", ["--model", "/models/my model"], /name it with NAME=SOURCE/],
  ])("refuses %s", (_name, argv, message) => {
    expect(() => specs(argv)).toThrow(UsageError);
    expect(() => specs(argv)).toThrow(message);
  });

  it("--default-model must name one of the models", () => {
    const two = [
      { name: "a", source: "x" },
      { name: "b", source: "y" },
    ];
    expect(() => checkDefaultModel("b", two)).not.toThrow();
    expect(() => checkDefaultModel(undefined, two)).not.toThrow();
    expect(() => checkDefaultModel("c", two)).toThrow("--default-model c is not one of the models: a, b");
  });

  it("the help explains --model NAME=SOURCE and FLORENCE2_MODEL", () => {
    const help = serverFlagsHelp();
    expect(help).toContain("--model NAME=SOURCE | SOURCE");
    expect(help).toContain("env FLORENCE2_MODEL (several comma-separated");
    expect(help).toMatch(/--max-loaded-models N\n\s+most models loaded at once/);
  });
});
