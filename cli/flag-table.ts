/**
 * A flag described once: its name, the placeholder of its value, its help line, its default as
 * shown, and its environment variable. parseArgs' option table, the help text and the reading of a
 * value (the command line first, then the environment) all come from these rows, so a flag cannot
 * be accepted without being documented, or documented without being accepted.
 */
import { booleanFlag, envName } from "./args.js";

export interface FlagSpec {
  readonly flag: string;
  /** The value's placeholder in the help ("N", "FILE"); undefined for a switch without a value. */
  readonly value?: string;
  /** Repeatable; in the environment, comma-separated. */
  readonly multiple?: boolean;
  /** What it does; the default and the variable are appended by the help text. */
  readonly help: string;
  /** The default as the help shows it; undefined when there is none or it goes without saying. */
  readonly default?: string;
  /** The environment variable it falls back to. Default FLORENCE2_<FLAG>. */
  readonly env?: string;
}

type ParseArgsOption = { readonly type: "string" | "boolean"; readonly multiple?: boolean };

/** parseArgs' `options` for `specs`. */
export function parseArgsOptions(specs: readonly FlagSpec[]): Record<string, ParseArgsOption> {
  return Object.fromEntries(
    specs.map(
      (s) =>
        [
          s.flag,
          s.value === undefined
            ? { type: "boolean" }
            : s.multiple === true
              ? { type: "string", multiple: true }
              : { type: "string" },
        ] as const,
    ),
  );
}

export function envOf(spec: FlagSpec): string {
  return spec.env ?? envName(spec.flag);
}

type Env = Readonly<Record<string, string | undefined>>;
type Values = Readonly<Record<string, unknown>>;

/** A string flag's value, else its variable's; an empty variable counts as unset. */
export function readText(values: Values, spec: FlagSpec, env: Env): string | undefined {
  const given = values[spec.flag];
  if (typeof given === "string") return given;
  const fromEnv = env[envOf(spec)];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** A repeatable flag's values, else its variable split at commas; undefined when neither is given. */
export function readList(values: Values, spec: FlagSpec, env: Env): string[] | undefined {
  const given = values[spec.flag];
  if (Array.isArray(given) && given.length > 0) return given.filter((v): v is string => typeof v === "string");
  const items = env[envOf(spec)]
    ?.split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items === undefined || items.length === 0 ? undefined : items;
}

/** A switch, else its variable (1/true/yes or 0/false/no). */
export function readSwitch(values: Values, spec: FlagSpec, env: Env): boolean | undefined {
  if (spec.env === undefined) return booleanFlag(values, spec.flag, env);
  // booleanFlag derives the variable from the flag's name; a row with its own variable is read here.
  return booleanFlag(values, spec.flag, { [envName(spec.flag)]: env[spec.env] });
}

/** The help lines of `specs`: the flag and its value, then the help with its default and variable. */
export function flagHelp(specs: readonly FlagSpec[], indent = "    "): string {
  return specs
    .map((s) => {
      const head = `${indent}--${s.flag}${s.value === undefined ? "" : ` ${s.value}`}${s.multiple === true ? " (repeatable)" : ""}`;
      const def = s.default === undefined ? "" : ` (default ${s.default})`;
      return `${head}\n${indent}    ${s.help}${def}; env ${envOf(s)}`;
    })
    .join("\n");
}
