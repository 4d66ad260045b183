/**
 * A DecoderStepper without a model, for tests: logits are a seeded hash of (request seed, decoder
 * prefix). It rebuilds each row's prefix from `tokens` + `rowSources` exactly as a KV cache would
 * be carried, so a wrong rowSources mapping gives wrong logits and the test fails.
 *
 * `fakeLogits` is the twin of `fake_logits` in tools/reference/make_beam_cases.py; keep them in sync.
 */
import type { DecoderStepInput, DecoderStepper, StepLogits } from "../../../models/generation/types.js";

export interface FakeModelSpec {
  readonly vocab: number;
  /** Hash only the last `context` tokens (0 = the whole prefix); 1 makes a bigram model that loops. */
  readonly context: number;
  /** Logits are uniform-ish in [-scale/2, scale/2). A power of two keeps them exact in float32. */
  readonly scale: number;
  /** Added to the EOS (2) logit per generated token, so hypotheses end at varied lengths. */
  readonly eosBias: number;
}

function mix32(h: number, x: number): number {
  let v = (h ^ x) >>> 0;
  v = Math.imul(v, 0x01000193) >>> 0;
  v = (v ^ (v >>> 15)) >>> 0;
  v = Math.imul(v, 0x2c1b3c6d) >>> 0;
  return (v ^ (v >>> 12)) >>> 0;
}

export function fakeLogits(spec: FakeModelSpec, seed: number, prefix: readonly number[]): Float32Array {
  const context = spec.context === 0 ? prefix : prefix.slice(-spec.context);
  let h = mix32(seed >>> 0, 0x5bd1e995);
  for (const t of context) h = mix32(h, t + 1);
  const out = new Float32Array(spec.vocab);
  for (let v = 0; v < spec.vocab; v++) {
    const x = mix32(h, (0x9e3779b9 ^ v) >>> 0);
    let value = (((x >>> 8) - (1 << 23)) * spec.scale) / (1 << 24);
    if (v === 2) value += spec.eosBias * (prefix.length - 1);
    out[v] = value;
  }
  return out;
}

/** Logits for a prefix (start token included), per request. */
export type LogitsFn = (request: number, prefix: readonly number[]) => Float32Array;

export class FakeStepper implements DecoderStepper {
  readonly #logits: LogitsFn;
  readonly #vocab: number;
  #prefixes: number[][] = [];
  /** Every step's input, for assertions. */
  readonly calls: DecoderStepInput[] = [];

  constructor(vocab: number, logits: LogitsFn) {
    this.#vocab = vocab;
    this.#logits = logits;
  }

  static hashed(spec: FakeModelSpec, seeds: readonly number[]): FakeStepper {
    return new FakeStepper(spec.vocab, (request, prefix) => fakeLogits(spec, seeds[request]!, prefix));
  }

  async step(input: DecoderStepInput): Promise<StepLogits> {
    this.calls.push(input);
    const prev = this.#prefixes;
    this.#prefixes = input.tokens.map((token, row) => {
      const source = input.rowSources?.[row];
      if (input.rowSources !== undefined && (source === undefined || prev[source] === undefined)) {
        throw new Error(`row ${row}: rowSources points at missing row ${source}`);
      }
      return [...(source === undefined ? [] : prev[source]!), token];
    });
    const data = new Float32Array(input.tokens.length * this.#vocab);
    this.#prefixes.forEach((prefix, row) => {
      data.set(this.#logits(input.rowRequests[row]!, prefix), row * this.#vocab);
    });
    return { data, vocabSize: this.#vocab };
  }
}
