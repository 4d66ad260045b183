/**
 * Top-k selection for beam search, sorted descending. On equal values the earlier offer ranks first
 * (torch.topk leaves tie order unspecified; docs/generation.md#76-ties-and-numerics says why this
 * order). NaN counts as -inf.
 */
export class TopK {
  readonly #k: number;
  readonly #values: Float64Array;
  readonly #ids: Int32Array;
  #size = 0;

  constructor(k: number) {
    this.#k = k;
    this.#values = new Float64Array(k);
    this.#ids = new Int32Array(k);
  }

  get size(): number {
    return this.#size;
  }

  /** True when offer(value) would keep the value; lets hot loops skip the call. */
  wouldKeep(value: number): boolean {
    return this.#size < this.#k || value > this.#values[this.#k - 1]!;
  }

  offer(value: number, id: number): void {
    const v = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
    let pos = this.#size;
    if (pos === this.#k) {
      if (!(v > this.#values[pos - 1]!)) return;
      pos--;
    } else {
      this.#size++;
    }
    while (pos > 0 && v > this.#values[pos - 1]!) {
      this.#values[pos] = this.#values[pos - 1]!;
      this.#ids[pos] = this.#ids[pos - 1]!;
      pos--;
    }
    this.#values[pos] = v;
    this.#ids[pos] = id;
  }

  value(rank: number): number {
    return this.#values[rank]!;
  }

  id(rank: number): number {
    return this.#ids[rank]!;
  }
}

/** Indices of the k largest values, best first; earlier indices win ties. */
export function topKIndices(values: readonly number[], k: number): number[] {
  const top = new TopK(Math.min(k, values.length));
  values.forEach((v, i) => {
    top.offer(v, i);
  });
  return Array.from({ length: top.size }, (_, rank) => top.id(rank));
}
