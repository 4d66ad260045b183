/** Duplicate frame ids within a stream, found with bounded memory. */

/**
 * A frame whose id equals one of the stream's last this-many frame ids is refused as a duplicate.
 * A window, not every id ever seen: a stream may run for millions of frames, and its memory must
 * not grow with them (1024 bigints are a few tens of KB).
 */
export const DUPLICATE_FRAME_ID_WINDOW = 1024;

/** The last `capacity` ids added, to find a repeated id in O(1) with bounded memory. */
export class RecentIds {
  readonly #capacity: number;
  readonly #seen = new Set<bigint>();
  readonly #ring: bigint[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records `id`; false (recording nothing) when it is among the last `capacity` ids recorded. */
  add(id: bigint): boolean {
    if (this.#seen.has(id)) return false;
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(id);
    } else {
      this.#seen.delete(this.#ring[this.#next] as bigint);
      this.#ring[this.#next] = id;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    this.#seen.add(id);
    return true;
  }
}
