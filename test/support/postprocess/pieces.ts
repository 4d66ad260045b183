/**
 * Test helper: splits a decoded text into token-like pieces (special and location tokens whole,
 * words with their leading space) and gives each a log-probability, so tests can build
 * `ScoredPiece[]` whose texts concatenate to the decoded text.
 */
import type { ScoredPiece } from "../../../models/postprocess/confidence.js";

const PIECE = /<\/?s>|<pad>|<loc_\d+>|<\/?poly>|<sep>| ?[^ <]+| +|</gu;

export function splitPieces(decoded: string): string[] {
  return decoded.match(PIECE) ?? [];
}

/** Pieces of `decoded` with log-probabilities from `logprob(text, index)`. */
export function scoredPieces(decoded: string, logprob: (text: string, index: number) => number): ScoredPiece[] {
  const pieces = splitPieces(decoded).map((text, i) => ({ text, logprob: logprob(text, i) }));
  if (pieces.map((p) => p.text).join("") !== decoded) throw new Error(`pieces do not cover ${JSON.stringify(decoded)}`);
  return pieces;
}
