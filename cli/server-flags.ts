/**
 * Every `florence2 serve` flag that sets a server option, in one table: the flag's name, the
 * ServerOptions field it sets, how its value is read, and its help line. The parseArgs options,
 * the help text (with each default read from DEFAULT_SERVER_OPTIONS) and the parsing all come from
 * this table, so a new limit is one row. Each flag also reads FLORENCE2_<FLAG> from the
 * environment (--tls-cert -> FLORENCE2_TLS_CERT); a flag on the command line wins.
 */
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { modelNameProblem } from "../server/model-registry.js";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "../server/options.js";
import { type FlagGroup, GROUP_TITLES, SERVER_FLAGS, type ServerFlag } from "./server-flag-table.js";

export { SERVER_FLAGS };
import { booleanFlag, envName, parseCount, parsePort, parsePositiveInt, stringFlag, UsageError } from "./args.js";

/** The switch that is not a server option: it allows an exposed start without TLS or tokens. */
const INSECURE_FLAG = "insecure";

/**
 * `serve`'s --model is repeatable (`--model NAME=SOURCE` or `--model SOURCE`); this entry of
 * serverFlagOptions replaces the single-valued one of the model flags `run` shares.
 */
const MODEL_FLAG = "model";

/** parseArgs' option table for the server flags and --insecure. */
export const serverFlagOptions: Readonly<
  Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean }>
> = Object.freeze({
  ...Object.fromEntries(
    SERVER_FLAGS.map(
      (f) =>
        [
          f.flag,
          f.kind === "switch"
            ? { type: "boolean" }
            : f.kind === "list"
              ? { type: "string", multiple: true }
              : { type: "string" },
        ] as const,
    ),
  ),
  [INSECURE_FLAG]: { type: "boolean" },
  [MODEL_FLAG]: { type: "string", multiple: true },
});

type Env = Readonly<Record<string, string | undefined>>;
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** What the server flags set: the options given (others keep their defaults), and --insecure. */
export interface ServerFlagSettings {
  readonly options: Partial<ServerOptions>;
  readonly insecure: boolean;
}

/** Reads every server flag from parsed argv `values`, else from its environment variable. */
export function parseServerFlags(values: Readonly<Record<string, unknown>>, env: Env): ServerFlagSettings {
  const options: Writable<Partial<ServerOptions>> = {};
  const set = <K extends keyof ServerOptions>(key: K, value: ServerOptions[K]) => {
    options[key] = value;
  };
  for (const f of SERVER_FLAGS) {
    if (f.kind === "switch") {
      const on = booleanFlag(values, f.flag, env);
      if (on !== undefined) set(f.option, on);
      continue;
    }
    if (f.kind === "list") {
      const given = values[f.flag];
      const list = Array.isArray(given)
        ? given.filter((v): v is string => typeof v === "string")
        : listFromEnv(env[envName(f.flag)]);
      if (list !== undefined) set(f.option, list);
      continue;
    }
    const text = stringFlag(values, f.flag, env);
    if (text === undefined) continue;
    const name = `--${f.flag}`;
    switch (f.kind) {
      case "text":
        set(f.option, text);
        break;
      case "port":
        set(f.option, parsePort(text) as number);
        break;
      case "positive":
        set(f.option, parsePositiveInt(name, text) as number);
        break;
      case "count":
        set(f.option, parseCount(name, text) as number);
        break;
    }
  }
  // The variable every OpenTelemetry SDK reads, after --otlp-endpoint and FLORENCE2_OTLP_ENDPOINT.
  const otelEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (options.otlpEndpoint === undefined && otelEndpoint !== undefined && otelEndpoint !== "")
    set("otlpEndpoint", otelEndpoint);
  return { options, insecure: booleanFlag(values, INSECURE_FLAG, env) ?? false };
}

/** A comma-separated environment variable; unset or blank is undefined. */
function listFromEnv(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items === undefined || items.length === 0 ? undefined : items;
}

function defaultOf(f: ServerFlag): string | undefined {
  const value = DEFAULT_SERVER_OPTIONS[f.option];
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) return undefined;
  return String(value);
}

/** The help text of the server flags, grouped, each with its default and environment variable. */
export function serverFlagsHelp(): string {
  const lines: string[] = [];
  for (const group of Object.keys(GROUP_TITLES) as FlagGroup[]) {
    lines.push(`  ${GROUP_TITLES[group]}:`);
    for (const f of SERVER_FLAGS.filter((x) => x.group === group)) {
      const value =
        f.value !== undefined
          ? ` ${f.value}`
          : f.kind === "switch"
            ? ""
            : f.kind === "list"
              ? " ORIGIN"
              : f.kind === "text"
                ? f.option.endsWith("File")
                  ? " FILE"
                  : " HOST"
                : " N";
      const def = defaultOf(f);
      lines.push(`    --${f.flag}${value}`);
      lines.push(`        ${f.help}${def === undefined ? "" : ` (default ${def})`}; env ${envName(f.flag)}`);
    }
    if (group === "models") {
      lines.push(`    --${MODEL_FLAG} NAME=SOURCE | SOURCE   (repeatable; at least one)`);
      lines.push(
        "        SOURCE: a local folder, florence-2-base/-large(-ft) or a hub owner/name; without NAME= the",
        "        name is the folder's last component or the id; requests pick one with their model field;",
        `        env ${envName(MODEL_FLAG)} (several comma-separated: base=florence-2-base,ft=./my-ft)`,
      );
    }
    if (group === "security") {
      lines.push(`    --${INSECURE_FLAG}`);
      lines.push(`        allow a non-loopback --host with neither TLS nor tokens; env ${envName(INSECURE_FLAG)}`);
    }
  }
  return lines.join("\n");
}

/** One `--model`: the name requests use, and where it loads from. */
export interface ModelSpec {
  readonly name: string;
  readonly source: string;
}

/**
 * The name of a `--model` given without NAME=: a local folder's last path component, else the
 * hub id or short name itself.
 */
export function defaultModelName(source: string, isFolder: (path: string) => boolean): string {
  if (!isFolder(source)) return source;
  return basename(resolve(source));
}

/**
 * The models of `serve`: every --model, else FLORENCE2_MODEL split at commas. NAME=SOURCE names a
 * model; a bare SOURCE is named by defaultModelName. Fails with a UsageError that says what to fix
 * for no model, an unusable name, a name given twice, or a --default-model that is none of them.
 */
export function parseModelSpecs(
  values: Readonly<Record<string, unknown>>,
  env: Env,
  isFolder: (path: string) => boolean = isDirectory,
): ModelSpec[] {
  const given = values[MODEL_FLAG];
  const items = Array.isArray(given)
    ? given.filter((v): v is string => typeof v === "string")
    : typeof given === "string"
      ? [given]
      : (listFromEnv(env[envName(MODEL_FLAG)]) ?? []);
  if (items.length === 0) {
    throw new UsageError(
      `--${MODEL_FLAG} is required: a folder, a model id or a hub owner/name, or NAME=SOURCE (repeatable for several models); env ${envName(MODEL_FLAG)}`,
    );
  }
  const specs: ModelSpec[] = [];
  for (const item of items) {
    const spec = splitModelItem(item, isFolder);
    const problem = modelNameProblem(spec.name);
    if (problem !== undefined) throw new UsageError(`--${MODEL_FLAG} ${item}: ${problem}; name it with NAME=SOURCE`);
    if (spec.source === "") throw new UsageError(`--${MODEL_FLAG} ${item}: the SOURCE after "=" is empty`);
    if (specs.some((s) => s.name === spec.name)) {
      throw new UsageError(
        `--${MODEL_FLAG}: the name ${JSON.stringify(spec.name)} is given twice; name each with NAME=SOURCE`,
      );
    }
    specs.push(spec);
  }
  return specs;
}

/** Checks --default-model against the models' names. */
export function checkDefaultModel(defaultModel: string | undefined, specs: readonly ModelSpec[]): void {
  if (defaultModel === undefined || specs.some((s) => s.name === defaultModel)) return;
  throw new UsageError(
    `--default-model ${defaultModel} is not one of the models: ${specs.map((s) => s.name).join(", ")}`,
  );
}

/** NAME=SOURCE when the part before the first "=" is a usable name; otherwise all of it is the source. */
function splitModelItem(item: string, isFolder: (path: string) => boolean): ModelSpec {
  const at = item.indexOf("=");
  if (at > 0 && modelNameProblem(item.slice(0, at)) === undefined && !isFolder(item)) {
    return { name: item.slice(0, at), source: item.slice(at + 1) };
  }
  return { name: defaultModelName(item, isFolder), source: item };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
