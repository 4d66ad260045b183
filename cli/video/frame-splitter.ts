/**
 * Cuts a byte stream of raw video (ffmpeg's `-f rawvideo` output: frames back to back, no headers)
 * into frames of exactly `frameBytes` bytes, whatever the pipe's chunk boundaries are. Each frame
 * is a fresh buffer the caller may keep. Pure; no I/O.
 */

export class FrameSplitter {
  private current: Uint8Array;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isSafeInteger(frameBytes) || frameBytes < 1)
      throw new RangeError(`a raw frame is at least 1 byte, not ${frameBytes}`);
    this.current = new Uint8Array(frameBytes);
  }

  /** The frames `chunk` completes, in order (none while a frame is still partial). */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        frames.push(this.current);
        this.current = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Bytes of an incomplete frame held back; non-zero at the end of input means a truncated stream. */
  get pendingBytes(): number {
    return this.filled;
  }
}

/** The frames of a chunked byte stream; a truncated last frame is dropped and reported to `onTruncated`. */
export async function* splitFrames(
  chunks: AsyncIterable<Uint8Array>,
  frameBytes: number,
  onTruncated: (bytes: number) => void = () => {},
): AsyncGenerator<Uint8Array> {
  const splitter = new FrameSplitter(frameBytes);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  if (splitter.pendingBytes > 0) onTruncated(splitter.pendingBytes);
}
