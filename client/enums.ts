/**
 * Proto enums <-> the lower-case names the client API uses. protobuf-es strips the enum prefix
 * (TASK_CAPTION -> Task.CAPTION), and lower-casing that gives exactly the engine's names
 * ("caption", "object_detection", "very_detailed", "fp32", "rgb"), so the names are derived from
 * the generated enums instead of being listed a second time.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** A TypeScript numeric enum object as protoc-gen-es emits it. */
type EnumObject = Readonly<Record<string, string | number>>;

/** The lower-case names of an enum's values, without UNSPECIFIED. */
export type EnumName<E extends EnumObject> = Lowercase<Exclude<Extract<keyof E, string>, "UNSPECIFIED">>;

/** Every name of an enum except UNSPECIFIED, in declaration order. */
export function enumNames<E extends EnumObject>(e: E): Array<EnumName<E>> {
  return Object.keys(e)
    .filter((key) => typeof e[key] === "number" && key !== "UNSPECIFIED")
    .map((key) => key.toLowerCase() as EnumName<E>);
}

/**
 * Looks a name up; the TypeScript type already restricts it, the runtime check is for JavaScript
 * callers and values read from config files. Throws INVALID_ARGUMENT listing the valid names.
 */
export function nameToEnum<E extends EnumObject>(e: E, name: string, field: string): number {
  // Only the exact lower-case names: "CAPTION" or "Caption" would hide a typo-prone second spelling.
  const valid = typeof name === "string" && name !== "unspecified" && name === name.toLowerCase();
  const value = valid ? e[name.toUpperCase()] : undefined;
  if (typeof value !== "number") {
    throw new ConnectError(
      `${field}: unknown value ${JSON.stringify(name)}; expected one of ${enumNames(e).join(", ")}`,
      Code.InvalidArgument,
    );
  }
  return value;
}

/** The name of a value the server sent; undefined for UNSPECIFIED and values newer than this client. */
export function enumToName<E extends EnumObject>(e: E, value: number): EnumName<E> | undefined {
  const key = e[value];
  if (typeof key !== "string" || key === "UNSPECIFIED") return undefined;
  return key.toLowerCase() as EnumName<E>;
}
