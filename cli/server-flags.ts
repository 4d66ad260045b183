/**
 * Every `florence2 serve` flag that sets a server option, in one table: the flag's name, the
 * ServerOptions field it sets, how its value is read, and its help line. The parseArgs options,
 * the help text (with each default read from DEFAULT_SERVER_OPTIONS) and the parsing all come from
 * this table, so a new limit is one row. Each flag also reads FLORENCE2_<FLAG> from the
 * environment (--tls-cert -> FLORENCE2_TLS_CERT); a flag on the command line wins.
 */
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "../server/options.js";
import { type FlagGroup, GROUP_TITLES, SERVER_FLAGS, type ServerFlag } from "./server-flag-table.js";

export { SERVER_FLAGS };
import { booleanFlag, envName, parseCount, parsePort, parsePositiveInt, stringFlag } from "./args.js";

/** The switch that is not a server option: it allows an exposed start without TLS or tokens. */
const INSECURE_FLAG = "insecure";

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
    if (group === "security") {
      lines.push(`    --${INSECURE_FLAG}`);
      lines.push(`        allow a non-loopback --host with neither TLS nor tokens; env ${envName(INSECURE_FLAG)}`);
    }
  }
  return lines.join("\n");
}
