/**
 * Client-side load balancing: a Transport over several replicas (one Transport each, e.g. the
 * addresses behind a headless Kubernetes Service), picking round-robin among the healthy ones.
 *
 * A replica is ejected after a call to it fails with an ejecting code (UNAVAILABLE: refused,
 * reset, draining) for `ejectionMs`, doubling with each consecutive ejection up to
 * `maxEjectionMs`; its first success resets that. With `healthCheckIntervalMs`, each replica's
 * grpc.health.v1 Check is also polled, and a replica that is not SERVING is skipped until it is.
 * When every replica is out, calls go to the one that comes back soonest rather than failing.
 * Unary calls are retried per client/retry.ts, each attempt on the next replica; streams go to one
 * replica and are not retried.
 *
 * @example
 * const transport = createBalancedTransport({
 *   targets: ["http://10.0.0.1:50051", "http://10.0.0.2:50051"].map((baseUrl) => createGrpcTransport({ baseUrl })),
 * });
 * const florence = createFlorenceClient({ transport });
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import {
  asGrpcError,
  makeRetryOptions,
  PREVIOUS_ATTEMPTS_HEADER,
  type RetryOptionsInit,
  withRetries,
} from "./retry.js";

export interface BalancedTransportOptions {
  /** One transport per replica. Required, at least one. */
  readonly targets: readonly Transport[];
  /** A replica is ejected after a call fails with one of these. Default [Code.Unavailable]. */
  readonly ejectOn: readonly Code[];
  /** First ejection in ms; doubles per consecutive ejection. Default 1000. */
  readonly ejectionMs: number;
  /** Longest ejection in ms. Default 30 000. */
  readonly maxEjectionMs: number;
  /** Poll each replica's health service this often, in ms; 0 = never. Default 0. */
  readonly healthCheckIntervalMs: number;
  /** Retry policy of unary calls (client/retry.ts). Default its defaults; { maxAttempts: 1 } turns retries off. */
  readonly retry: RetryOptionsInit;
  /** Clock in ms, for tests. Default performance.now. */
  readonly now: () => number;
}

export type BalancedTransportInit = Pick<BalancedTransportOptions, "targets"> & {
  readonly [K in keyof BalancedTransportOptions]?: BalancedTransportOptions[K];
};

export const balancedTransportDefaults = Object.freeze({
  ejectOn: Object.freeze([Code.Unavailable]),
  ejectionMs: 1000,
  maxEjectionMs: 30_000,
  healthCheckIntervalMs: 0,
  retry: Object.freeze({}),
  now: () => performance.now(),
}) satisfies Omit<BalancedTransportOptions, "targets">;

/** One replica's state. */
interface Backend {
  readonly transport: Transport;
  /** Skipped until this time (ms on `now`'s clock). */
  ejectedUntil: number;
  /** Consecutive ejections, for the doubling. */
  ejections: number;
  /** False while its health service says it is not SERVING (or does not answer). */
  healthy: boolean;
}

export interface BalancedTransport extends Transport {
  /** Which replicas are in rotation now, by index of `targets`. */
  available(): number[];
  /** Stops the health polling. */
  close(): void;
}

// One closure on purpose: the rotation, the ejection backoff and the health polling share the
// replicas' state; the returned transport's two methods are short.
export function createBalancedTransport(init: BalancedTransportInit): BalancedTransport {
  const options: BalancedTransportOptions = { ...balancedTransportDefaults, ...init };
  if (options.targets.length === 0) throw new RangeError("createBalancedTransport: targets must not be empty");
  const retry = makeRetryOptions(options.retry);
  const backends: Backend[] = options.targets.map((transport) => ({
    transport,
    ejectedUntil: 0,
    ejections: 0,
    healthy: true,
  }));
  let next = 0;

  const inRotation = (b: Backend, now: number) => b.healthy && b.ejectedUntil <= now;
  /** Round-robin over the replicas in rotation; if none is, the one back soonest. */
  const pick = (): Backend => {
    const now = options.now();
    for (let i = 0; i < backends.length; i++) {
      const b = backends[(next + i) % backends.length] as Backend;
      if (inRotation(b, now)) {
        next = (next + i + 1) % backends.length;
        return b;
      }
    }
    return backends.reduce((a, b) => (b.ejectedUntil < a.ejectedUntil ? b : a));
  };
  const settle = (b: Backend, error: unknown, callerCancelled: boolean): void => {
    if (error === undefined) {
      b.ejections = 0;
      return;
    }
    if (!options.ejectOn.includes(asGrpcError(error, callerCancelled).code)) return;
    b.ejectedUntil = options.now() + Math.min(options.ejectionMs * 2 ** b.ejections, options.maxEjectionMs);
    b.ejections++;
  };
  /** Runs one call on `b`, ejecting it on an ejecting error. */
  const onBackend = async <T>(b: Backend, call: (t: Transport) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      const result = await call(b.transport);
      settle(b, undefined, false);
      return result;
    } catch (e) {
      settle(b, e, signal?.aborted === true);
      throw e;
    }
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.healthCheckIntervalMs > 0) {
    const checks = backends.map((b) => ({ b, health: createClient(Health, b.transport) }));
    const poll = () => {
      for (const { b, health } of checks) {
        const serving = health.check({}, { timeoutMs: options.healthCheckIntervalMs }).then(
          (r) => r.status === HealthCheckResponse_ServingStatus.SERVING,
          () => false,
        );
        void serving.then((ok) => {
          b.healthy = ok;
        });
      }
    };
    poll();
    timer = setInterval(poll, options.healthCheckIntervalMs);
    timer.unref?.();
  }

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      // The deadline covers every attempt and the waits between them.
      const deadline = timeoutMs === undefined ? undefined : options.now() + timeoutMs;
      const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
      const stop = AbortSignal.any([signal, timeout].filter((s): s is AbortSignal => s !== undefined));
      try {
        return await withRetries(
          (n) => {
            const headers = new Headers(header);
            if (n > 1) headers.set(PREVIOUS_ATTEMPTS_HEADER, String(n - 1));
            const left = deadline === undefined ? undefined : Math.max(1, Math.floor(deadline - options.now()));
            return onBackend(pick(), (t) => t.unary(method, signal, left, headers, input, contextValues), signal);
          },
          retry,
          stop,
        );
      } catch (e) {
        if (timeout?.aborted && !(e instanceof ConnectError))
          throw new ConnectError("the deadline passed between retries", Code.DeadlineExceeded);
        throw e;
      }
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return onBackend(pick(), (t) => t.stream(method, signal, timeoutMs, header, input, contextValues), signal);
    },
    available() {
      const now = options.now();
      return backends.flatMap((b, i) => (inRotation(b, now) ? [i] : []));
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
