/**
 * FlorenceService.RunStream: Run with the answer text as it is generated. The engine reports each
 * image's settled text at most once per `partial_interval_ms` (models/stages/partial-text.ts);
 * this file sends it on as `partial` messages and ends with the one `result`, the RunResponse Run
 * answers. The call has Run's life cycle (streamCall: request id, auth, admission, error mapping,
 * metrics, log line); it does not take a stream slot, since it holds one admission slot like Run.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type {
  RunResponseSchema,
  RunStreamRequest,
  RunStreamResponseSchema,
} from "../gen/florence/v1/florence_service_pb.js";
import type { TextSoFar } from "../models/inputs.js";
import { FlorenceError } from "../models/errors.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { streamCall } from "./call-context.js";
import { Violations } from "./validation.js";

/** The longest partial_interval_ms a request may ask for: longer would send no partials at all for most answers. */
export const MAX_PARTIAL_INTERVAL_MS = 60_000;

/** What RunStream asks of the engine call besides Run's inputs. */
export interface PartialTexts {
  readonly onText: (text: TextSoFar) => void;
  /** Unset = the engine's default (100 ms). */
  readonly textIntervalMs?: number;
}

/** Runs the request as Run does, with `partials` added to the engine call's options. */
export type RunWithPartials = (
  request: RunStreamRequest,
  context: HandlerContext,
  record: CallRecord,
  partials: PartialTexts,
) => Promise<MessageInitShape<typeof RunResponseSchema>>;

type Answer = MessageInitShape<typeof RunStreamResponseSchema>;

/** The request's partial_interval_ms, checked; undefined when unset. */
export function partialIntervalOf(request: Pick<RunStreamRequest, "partialIntervalMs">, v: Violations) {
  const ms = request.partialIntervalMs;
  if (ms !== undefined && ms > MAX_PARTIAL_INTERVAL_MS) {
    v.add(
      "invalid_argument",
      "partial_interval_ms",
      `${ms} ms is longer than ${MAX_PARTIAL_INTERVAL_MS} ms; ask for partial texts more often, or call Run`,
    );
  }
  return ms;
}

/** The handler of RunStream; `run` is Run's path through validation and the engine (florence-service.ts). */
export function createRunStreamHandler(deps: ServiceDeps, run: RunWithPartials) {
  const handler = streamCall<RunStreamRequest, Answer>(deps, (requests, context, record) =>
    runStream(requests, context, record, run),
  );
  return (request: RunStreamRequest, context: HandlerContext): AsyncIterable<Answer> =>
    handler(oneRequest(request), context);
}

async function* oneRequest<T>(request: T): AsyncIterable<T> {
  yield request;
}

async function* runStream(
  requests: AsyncIterable<RunStreamRequest>,
  context: HandlerContext,
  record: CallRecord,
  run: RunWithPartials,
): AsyncGenerator<Answer> {
  for await (const request of requests) {
    const v = new Violations();
    const textIntervalMs = partialIntervalOf(request, v);
    v.throwIfAny();
    yield* answers(context, (callContext, onText) =>
      run(request, callContext, record, { onText, ...(textIntervalMs === undefined ? {} : { textIntervalMs }) }),
    );
  }
}

type Result = MessageInitShape<typeof RunResponseSchema>;

/** Where the engine call is: running, answered, or failed. */
type CallState =
  | { readonly done: false }
  | { readonly done: true; readonly ok: true; readonly value: Result }
  | { readonly done: true; readonly ok: false; readonly error: unknown };

/**
 * The partial texts while `start`'s call runs, then its result. Only each image's latest text
 * waits to be sent, so a client that reads slowly gets fewer partials, never a growing backlog.
 * The call runs under `context` with a signal of its own, aborted when this generator ends
 * before the call (the client stopped reading, or a write failed), so decoding stops.
 */
async function* answers(
  context: HandlerContext,
  start: (context: HandlerContext, onText: (text: TextSoFar) => void) => Promise<Result>,
): AsyncGenerator<Answer> {
  const stop = new AbortController();
  // HandlerContext is a plain object of values (connect builds it with Object.assign).
  const callContext: HandlerContext = { ...context, signal: AbortSignal.any([context.signal, stop.signal]) };
  const waiting = new Map<number, TextSoFar>();
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const call: { state: CallState } = { state: { done: false } };
  start(callContext, (text) => {
    waiting.set(text.imageIndex, text);
    notify();
  }).then(
    (value) => {
      call.state = { done: true, ok: true, value };
      notify();
    },
    (error: unknown) => {
      call.state = { done: true, ok: false, error };
      notify();
    },
  );
  try {
    for (;;) {
      const state = call.state;
      if (state.done && !state.ok) throw state.error;
      if (waiting.size > 0) {
        const texts = [...waiting.values()].sort((a, b) => a.imageIndex - b.imageIndex);
        waiting.clear();
        for (const t of texts) {
          yield {
            message: {
              case: "partial",
              value: { imageIndex: t.imageIndex, text: t.text, generatedTokens: t.tokens },
            },
          };
        }
        continue;
      }
      if (state.done) {
        yield { message: { case: "result", value: state.value } };
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    // The client stopped reading (or a write failed) while the engine still decodes: stop it.
    if (!call.state.done) stop.abort(new FlorenceError("cancelled", "the client stopped reading the stream"));
  }
}
