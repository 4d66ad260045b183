/**
 * Decodes several requests as one batch: every live row of every request goes through the model in
 * one step. A request that is done or cancelled leaves the batch at once; the others go on.
 *
 * Rows whose sequences are identical within a request (beam search's K copies of the start token,
 * and their forced-BOS continuations) are run once and their logits shared: the model gives them
 * the same logits anyway, so the result is unchanged and the first two steps cost one row instead of K.
 */

import { BeamSearch } from "./beam-search.js";
import { type DecodingOptions, makeDecodingOptions } from "./decoding-options.js";
import { GreedySearch } from "./greedy.js";
import type { DecodeRequest, DecodeResult, DecoderStepper, Search } from "./types.js";

/** Greedy for numBeams = 1 (as HF and transformers.js), beam search otherwise. */
function createSearch(options: Readonly<DecodingOptions>): Search {
  return options.numBeams === 1 ? new GreedySearch(options) : new BeamSearch(options);
}

interface Live {
  readonly index: number;
  readonly request: DecodeRequest;
  readonly search: Search;
  /** For each of the search's current rows, the batch row that ran it at the last step. */
  batchRows: number[];
  /** Output positions already reported through onToken. */
  reported: number;
}

/**
 * Caps a request's options at the decoder's positions. The decoder is fed one token per step at
 * position = tokens before it: the start token at 0, the k-th generated token at k, and the last
 * generated token is never fed. N new tokens therefore use positions 0..N-1, so N may be at most
 * `maxPositions`; one more would index past the position table and fail inside the model.
 * Returns undefined when the options already fit.
 */
export function capAtPositions(
  options: Readonly<DecodingOptions>,
  maxPositions: number | undefined,
): Readonly<DecodingOptions> | undefined {
  if (maxPositions === undefined || options.maxNewTokens <= maxPositions) return undefined;
  return { ...options, maxNewTokens: maxPositions, minNewTokens: Math.min(options.minNewTokens, maxPositions) };
}

/**
 * Runs greedy / beam search for every request over `stepper` until each is done or cancelled.
 * `defaults` are merged under each request's own options. Row r of the stepper's encoder batch
 * belongs to requests[r]. Errors from the stepper or from an onToken callback propagate.
 * Throws FlorenceError("invalid_argument") for invalid options, before any model work.
 *
 * `maxPositions` is the decoder's position limit (max_position_embeddings): whatever a request's
 * max_new_tokens says, its sequence stops there with stopReason "max_length" (HF's max_length,
 * the forced end token included) instead of running the model past its positions.
 */
export async function generate(
  stepper: DecoderStepper,
  requests: readonly DecodeRequest[],
  defaults?: Partial<DecodingOptions>,
  maxPositions?: number,
): Promise<DecodeResult[]> {
  const capped: boolean[] = [];
  const searches = requests.map((r, i) => {
    const options = makeDecodingOptions({ ...defaults, ...r.options }, `requests[${i}].options`);
    const cap = capAtPositions(options, maxPositions);
    capped[i] = cap !== undefined;
    return createSearch(cap ?? options);
  });
  const finish = (index: number, result: DecodeResult): DecodeResult =>
    capped[index] === true && result.stopReason === "max_new_tokens" ? { ...result, stopReason: "max_length" } : result;
  const results: DecodeResult[] = [];
  let live: Live[] = requests.map((request, index) => ({
    index,
    request,
    search: searches[index]!,
    batchRows: [],
    reported: 1,
  }));
  let firstStep = true;
  for (;;) {
    live = live.filter((l) => {
      // A search that finished keeps its full result even if the abort came during its last step.
      if (l.search.done) {
        report(l);
        results[l.index] = finish(l.index, l.search.result(false));
        return false;
      }
      if (l.request.signal?.aborted !== true) return true;
      results[l.index] = l.search.result(true);
      return false;
    });
    if (live.length === 0) return results;
    const batch = planStep(live, firstStep);
    const { data, vocabSize } = await stepper.step({
      tokens: batch.tokens,
      rowSources: firstStep ? undefined : batch.sources,
      rowRequests: batch.requests,
    });
    for (const l of live) {
      const rows = batch.rowsOf.get(l.index)!;
      l.search.advance(logitRows(data, vocabSize, rows), vocabSize);
      l.batchRows = rows;
      report(l);
    }
    firstStep = false;
  }
}

interface StepPlan {
  readonly tokens: number[];
  readonly sources: number[];
  readonly requests: number[];
  /** Per request, the batch row of each of its search rows (duplicates share one). */
  readonly rowsOf: Map<number, number[]>;
}

/** Lays out the batch rows; a row is a duplicate when it continues the same batch row with the same token. */
function planStep(live: readonly Live[], firstStep: boolean): StepPlan {
  const plan: StepPlan = { tokens: [], sources: [], requests: [], rowsOf: new Map() };
  for (const l of live) {
    const seen = new Map<string, number>();
    const rows = l.search.rows.map((row) => {
      const source = firstStep ? -1 : l.batchRows[row.source]!;
      const key = `${source}:${row.token}`;
      let batchRow = seen.get(key);
      if (batchRow === undefined) {
        batchRow = plan.tokens.length;
        seen.set(key, batchRow);
        plan.tokens.push(row.token);
        plan.sources.push(source);
        plan.requests.push(l.index);
      }
      return batchRow;
    });
    plan.rowsOf.set(l.index, rows);
  }
  return plan;
}

/** One logits view per search row; a duplicate gets a copy, since searches process rows in place. */
function logitRows(data: Float32Array, vocabSize: number, rows: readonly number[]): Float32Array[] {
  const handedOut = new Set<number>();
  return rows.map((r) => {
    const view = data.subarray(r * vocabSize, (r + 1) * vocabSize);
    if (handedOut.has(r)) return view.slice();
    handedOut.add(r);
    return view;
  });
}

/** Reports the tokens that became final since the last report. */
function report(l: Live): void {
  const onToken = l.request.onToken;
  if (onToken === undefined) return;
  const stable = l.search.stableLength();
  if (stable <= l.reported) return;
  const { tokens, logprobs } = l.search.stableSequence();
  for (let position = l.reported; position < stable; position++) {
    onToken({ request: l.index, id: tokens[position]!, position, logprob: logprobs[position - 1]! });
  }
  l.reported = stable;
}
