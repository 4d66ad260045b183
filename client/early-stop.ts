/**
 * A server-streaming or bidirectional call read through an async iterable that a caller may leave
 * early (`break`, `return`, an exception in the loop). connect's own iterables then neither cancel
 * the call (the server goes on working for nobody) nor read the response to its end, and an HTTP/2
 * stream left unread stays open after its reset: it keeps the connection, and so a Node process that
 * is otherwise done, alive until connect's 15-minute idle timeout (measured with RunStream and
 * StreamFrames). Here an early stop aborts the call with CANCELED, then reads what is left, unused;
 * that ends at once with the abort.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** The messages of the call `open` starts with a signal; the signal also follows the caller's. */
export async function* readUntilStopped<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  callerSignal: AbortSignal | undefined,
): AsyncGenerator<T> {
  // Linked by hand rather than with AbortSignal.any, which older browsers lack.
  const stop = new AbortController();
  const callerAborted = (): void => stop.abort(callerSignal?.reason);
  if (callerSignal?.aborted === true) callerAborted();
  else callerSignal?.addEventListener("abort", callerAborted, { once: true });
  const responses = open(stop.signal)[Symbol.asyncIterator]();
  let ended = false;
  try {
    // By hand: a for-await loop would return connect's iterable on an early stop, and a returned
    // iterable can no longer be drained.
    for (let next = await responses.next(); next.done !== true; next = await responses.next()) yield next.value;
    ended = true;
  } finally {
    callerSignal?.removeEventListener("abort", callerAborted);
    if (!ended) {
      // CANCELED, so the server sees a cancellation (another reason resets the HTTP/2 stream as an
      // internal error).
      stop.abort(new ConnectError("the caller stopped reading the stream", Code.Canceled));
      try {
        while ((await responses.next()).done !== true);
      } catch {
        // The abort itself, or the call's own error: the caller has already left.
      }
    }
  }
}
