/**
 * Python `str` semantics the reference processor relies on, where JavaScript differs. The
 * reference strips inputs and labels with `str.strip()` and matches `\s` in `re` patterns; both
 * use Python's notion of whitespace, which includes U+001C..U+001F and U+0085 (JavaScript's
 * `trim()` and `\s` do not) and excludes U+FEFF (which JavaScript's include).
 */

/** Body of a regex character class matching exactly the characters for which Python's `str.isspace()` is true. */
export const PY_SPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const LEADING_SPACE = new RegExp(`^[${PY_SPACE_CLASS}]+`, "u");
const TRAILING_SPACE = new RegExp(`[${PY_SPACE_CLASS}]+$`, "u");

/** Offsets [start, end) of `s` without its leading and trailing Python whitespace. */
export function pyStripRange(s: string): { readonly start: number; readonly end: number } {
  const start = LEADING_SPACE.exec(s)?.[0].length ?? 0;
  if (start === s.length) return { start, end: start };
  const end = s.length - (TRAILING_SPACE.exec(s)?.[0].length ?? 0);
  return { start, end };
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  const { start, end } = pyStripRange(s);
  return s.slice(start, end);
}

/** Python's `s.encode("ascii", "ignore").decode("ascii")`: every non-ASCII character removed. */
export function asciiOnly(s: string): string {
  return s.replace(/[\u0080-\u{10ffff}]/gu, "");
}
