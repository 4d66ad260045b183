/**
 * The byte level under the tokenizer's text: GPT-2's alphabet that maps every byte to a printable
 * character (docs/florence2-contract.md#63-byte-level-alphabet), and the split of a cleaned-up
 * decode over the per-token texts it came from.
 */
/** GPT-2's byte-level alphabet: printable byte -> same code point, others -> 256 + k
 * (docs/florence2-contract.md#63-byte-level-alphabet). */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(printable(b) ? b : next++), b);
  return map;
})();

/** A token's bytes, from its byte-level characters. */
export function tokenBytes(token: string): Uint8Array {
  // Characters outside the alphabet become 0, as in the library's ByteLevel decoder.
  return Uint8Array.from([...token], (c) => BYTE_OF_CHAR.get(c) ?? 0);
}

/**
 * Distributes `full` (the cleaned-up decode) over per-token raw texts. The clean-up only deletes
 * spaces (" ." -> ".", " 's" -> "'s", …), so each raw character either matches the next character
 * of `full` or is a deleted space. Returns undefined when `full` is not such a subsequence of the
 * raw texts (never expected; the caller then falls back to prefix decoding).
 */
export function splitDecoded(raw: readonly string[], full: string): string[] | undefined {
  let j = 0;
  const out: string[] = [];
  for (const piece of raw) {
    const start = j;
    for (const ch of piece) {
      if (full.startsWith(ch, j)) j += ch.length;
      else if (ch !== " ") return undefined;
    }
    out.push(full.slice(start, j));
  }
  return j === full.length ? out : undefined;
}
