/**
 * Prometheus metrics (prom-client), one registry per server so several servers in one process keep
 * their own counts. Per-call metrics are updated as calls start and end (call-context.ts); the
 * admission queue, the engine's counters and the model load time are read at scrape time by
 * `collect` callbacks, so nothing is polled between scrapes.
 *
 * The engine's counters (EngineStats) are sums over its workers, and a replaced worker starts
 * from zero, so a sum can go down. Each is mirrored by a Counter advanced by the sum's increase
 * since the last scrape (a decrease counts as nothing and becomes the new base): the Counter only
 * ever grows, which is what Prometheus' rate() expects of a *_total.
 *
 * A server started with named models (FlorenceServerInit.models) labels the request, token, batch
 * and engine metrics with `model` (the model's name; "" for calls that name none, like health);
 * a server given one engine keeps its series unlabelled, as before several models existed.
 * An unloaded model's engine counters keep their values; a reload starts its sums from zero again,
 * which the mirroring above already treats as a new base.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { EngineStats } from "../models/engine.js";

/** What the collect callbacks read at scrape time. */
export interface MetricSources {
  /** Engine calls waiting for an admission slot now. */
  readonly queueDepth: () => number;
  /** Each loaded model's engine counters, by model name; a model that does not answer in time is left out. */
  readonly engineStats: () => Promise<ReadonlyMap<string, EngineStats>>;
  /** Seconds each model's last load took, by name; absent until it has loaded. */
  readonly modelLoadSeconds: () => ReadonlyMap<string, number>;
}

/** The label sets of a model's series: `{ model }` when labelling by model, else none. */
type ModelLabels = (model: string | undefined) => Record<string, string>;

/** A stream's frame outcomes so far (CallRecord.frames), read at every scrape while it is open. */
export interface FrameCounts {
  readonly results: number;
  readonly skipped: number;
  readonly errors: number;
  /** Unchanged frames answered with an earlier frame's result (StreamConfig.change_threshold); not in `results`. */
  readonly reused?: number;
}

/** Request duration buckets in seconds: a cached caption takes milliseconds, a long OCR tens of seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Decoder rows per batch: powers of two up to the largest batch sizes worth running. */
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/** The engine counters mirrored as Counters: metric name, help, and where the value is in EngineStats. */
const ENGINE_COUNTERS: readonly {
  readonly name: string;
  readonly help: string;
  readonly read: (s: EngineStats) => number | undefined;
}[] = [
  {
    name: "florence2_decoder_steps_total",
    help: "Decoder passes run (each carries a batch's rows).",
    read: (s) => s.decoderSteps,
  },
  {
    name: "florence2_vision_cache_hits_total",
    help: "Images whose vision features came from the cache.",
    read: (s) => s.visionCache.hits,
  },
  {
    name: "florence2_vision_cache_misses_total",
    help: "Images that ran the vision encoder.",
    read: (s) => s.visionCache.misses,
  },
  { name: "florence2_batches_total", help: "Batches the engine ran.", read: (s) => s.batches },
  {
    name: "florence2_worker_restarts_total",
    help: "Inference workers started to replace one that exited.",
    read: (s) => s.workerRestarts ?? 0,
  },
];

/**
 * prom-client's default process metrics, collected once per process: each collection starts an
 * event-loop monitor and a GC observer that are never stopped, and the process is the same for
 * every server in it.
 */
let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export class ServerMetrics {
  /** This server's metrics and the process metrics, as scraped. */
  readonly registry: Registry;
  readonly #own = new Registry();
  readonly #requests: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #inflight: Gauge;
  readonly #tokens: Counter<string>;
  readonly #labels: ModelLabels;
  readonly #modelLabel: string[];
  readonly #openStreams = new Set<{ readonly frames?: FrameCounts | undefined }>();
  /** Frame outcomes of streams that have ended. */
  readonly #endedFrames = { result: 0, skipped: 0, error: 0, reused: 0 };
  readonly #sources: MetricSources;
  /** The engine-stats read shared by every collect callback of one scrape. */
  #statsRead: Promise<ReadonlyMap<string, EngineStats>> | undefined;

  /** `byModel`: label by model (servers started with named models). */
  constructor(sources: MetricSources, byModel = false) {
    this.#sources = sources;
    this.#labels = byModel ? (model) => ({ model: model ?? "" }) : () => ({});
    this.#modelLabel = byModel ? ["model"] : [];
    const modelLabel = this.#modelLabel;
    const registers = [this.#own];
    this.#requests = new Counter({
      name: "florence2_requests_total",
      help: 'RPCs finished, by method and gRPC status (snake case, as in the logs); requests connect refused before reading them (over readMaxBytes) count too, with model "" where series are labelled by model (they were never parsed).',
      labelNames: ["method", "code", ...modelLabel],
      registers,
    });
    this.#duration = new Histogram({
      name: "florence2_request_duration_seconds",
      help: "Wall time of each RPC (streams: the whole stream).",
      labelNames: ["method", ...modelLabel],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#inflight = new Gauge({
      name: "florence2_inflight_requests",
      help: "RPCs in progress (open streams count once).",
      registers,
    });
    this.#tokens = new Counter({
      name: "florence2_generated_tokens_total",
      help: "Tokens the decoder generated, over every answer returned.",
      labelNames: modelLabel,
      registers,
    });
    new Gauge({
      name: "florence2_queue_depth",
      help: "Engine calls (requests and stream frames) waiting for an admission slot.",
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    const loadSeconds = sources.modelLoadSeconds;
    const labels = this.#labels;
    new Gauge({
      name: "florence2_model_load_seconds",
      help: "Seconds the model's last load took (absent until it has loaded).",
      labelNames: modelLabel,
      registers,
      collect() {
        for (const [model, seconds] of loadSeconds()) this.set(labels(model), seconds);
      },
    });
    this.#registerFrames();
    this.#registerEngine();
    this.registry = Registry.merge([processRegistry(), this.#own]);
  }

  /** Content-Type of `metrics()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  callStarted(): void {
    this.#inflight.inc();
  }

  /** `code` as in the log line ("ok", "invalid_argument"); `model` the call's model, when it named or used one. */
  callEnded(method: string, code: string, seconds: number, model?: string): void {
    this.#inflight.dec();
    this.#requests.inc({ method, code, ...this.#labels(model) });
    this.#duration.observe({ method, ...this.#labels(model) }, seconds);
  }

  /**
   * Counts a call connect answered before any handler ran (a request over readMaxBytes): in the
   * requests and duration series like any call, with model "" since its request was never parsed;
   * never in flight, so the in-flight gauge is left alone.
   */
  callRefused(method: string, code: string, seconds: number): void {
    this.#requests.inc({ method, code, ...this.#labels(undefined) });
    this.#duration.observe({ method, ...this.#labels(undefined) }, seconds);
  }

  /** Counts a stream's frames at every scrape until `streamEnded`. */
  streamStarted(stream: { readonly frames?: FrameCounts | undefined }): void {
    this.#openStreams.add(stream);
  }

  streamEnded(stream: { readonly frames?: FrameCounts | undefined }): void {
    if (!this.#openStreams.delete(stream) || stream.frames === undefined) return;
    this.#endedFrames.result += stream.frames.results;
    this.#endedFrames.skipped += stream.frames.skipped;
    this.#endedFrames.error += stream.frames.errors;
    this.#endedFrames.reused += stream.frames.reused ?? 0;
  }

  generatedTokens(count: number, model?: string): void {
    if (count > 0) this.#tokens.inc(this.#labels(model), count);
  }

  #registerFrames(): void {
    const ended = this.#endedFrames;
    const open = this.#openStreams;
    const seen = { result: 0, skipped: 0, error: 0, reused: 0 };
    new Counter({
      name: "florence2_stream_frames_total",
      help: "StreamFrames frames by outcome: answered with a result, skipped (LATEST), answered with an error, or reused (unchanged, answered with an earlier frame's result).",
      labelNames: ["outcome"],
      registers: [this.#own],
      collect() {
        const now = { ...ended };
        for (const stream of open) {
          now.result += stream.frames?.results ?? 0;
          now.skipped += stream.frames?.skipped ?? 0;
          now.error += stream.frames?.errors ?? 0;
          now.reused += stream.frames?.reused ?? 0;
        }
        for (const outcome of ["result", "skipped", "error", "reused"] as const) {
          // Never 0 on the first scrape: every outcome is listed from the start.
          this.inc({ outcome }, Math.max(0, now[outcome] - seen[outcome]));
          seen[outcome] = Math.max(seen[outcome], now[outcome]);
        }
      },
    });
  }

  #registerEngine(): void {
    const stats = () => this.#engineStats();
    const labels = this.#labels;
    const labelNames = this.#modelLabel;
    for (const spec of ENGINE_COUNTERS) {
      const last = new Map<string, number>();
      new Counter({
        name: spec.name,
        help: spec.help,
        labelNames,
        registers: [this.#own],
        async collect() {
          for (const [model, s] of await stats()) {
            const value = spec.read(s);
            if (value === undefined) continue;
            this.inc(labels(model), Math.max(0, value - (last.get(model) ?? 0)));
            last.set(model, value);
          }
        },
      });
    }
    const lastBySize = new Map<string, Map<number, number>>();
    new Histogram({
      name: "florence2_batch_size",
      help: "Decoder rows per batch the engine ran (beam search counts its beams).",
      buckets: BATCH_SIZE_BUCKETS,
      labelNames,
      registers: [this.#own],
      async collect() {
        for (const [model, s] of await stats()) {
          if (s.batchSizes === undefined) continue;
          const seen = lastBySize.get(model) ?? new Map<number, number>();
          lastBySize.set(model, seen);
          for (const [key, count] of Object.entries(s.batchSizes)) {
            const rows = Number(key);
            // Observed one batch at a time: prom-client has no weighted observe, and a scrape
            // interval holds at most a few thousand batches.
            for (let n = Math.max(0, count - (seen.get(rows) ?? 0)); n > 0; n--) this.observe(labels(model), rows);
            seen.set(rows, count);
          }
        }
      },
    });
    new Gauge({
      name: "florence2_engine_queued_items",
      help: "Admitted items waiting inside the engine for a batch.",
      labelNames,
      registers: [this.#own],
      async collect() {
        for (const [model, s] of await stats()) this.set(labels(model), s.queuedItems);
      },
    });
  }

  /** One engine-stats read per scrape: the first collect starts it, the others share it. */
  #engineStats(): Promise<ReadonlyMap<string, EngineStats>> {
    this.#statsRead ??= this.#sources.engineStats().finally(() => {
      this.#statsRead = undefined;
    });
    return this.#statsRead;
  }
}
