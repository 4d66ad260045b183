/**
 * The balanced transport over in-memory replicas (router transports): round-robin, ejection on
 * UNAVAILABLE with doubling, retries landing on another replica, and health-based skipping.
 */
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ModelService } from "../gen/florence/v1/model_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { type BalancedTransportInit, createBalancedTransport } from "./balanced-transport.js";

/** A replica whose listModels answers with its name, or fails with `failWith` while that is set. */
function replica(name: string) {
  const state = { calls: 0, failWith: undefined as Code | undefined, serving: true };
  const transport = createRouterTransport(({ service }) => {
    service(ModelService, {
      listModels() {
        state.calls++;
        if (state.failWith !== undefined) throw new ConnectError(`${name} down`, state.failWith);
        return { models: [{ id: name }] };
      },
    });
    service(Health, {
      check() {
        return {
          status: state.serving
            ? HealthCheckResponse_ServingStatus.SERVING
            : HealthCheckResponse_ServingStatus.NOT_SERVING,
        };
      },
      async *watch() {},
    });
  });
  return { name, state, transport };
}

function setup(n: number, init: Partial<BalancedTransportInit> = {}) {
  const clock = { t: 0 };
  const replicas = Array.from({ length: n }, (_, i) => replica(`r${i}`));
  const transport = createBalancedTransport({
    targets: replicas.map((r) => r.transport),
    now: () => clock.t,
    retry: { initialBackoffMs: 1, maxBackoffMs: 1 },
    ...init,
  });
  const client = createClient(ModelService, transport);
  const ask = async () => (await client.listModels({})).models[0]?.id;
  return { clock, replicas, transport, ask };
}

describe("createBalancedTransport", () => {
  it("goes round-robin over the replicas", async () => {
    const { ask } = setup(3);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask());
    expect(answers).toEqual(["r0", "r1", "r2", "r0", "r1", "r2"]);
  });

  it("retries an UNAVAILABLE on the next replica and ejects the failed one", async () => {
    const { replicas, transport, ask, clock } = setup(3);
    (replicas[0] as ReturnType<typeof replica>).state.failWith = Code.Unavailable;
    expect(await ask()).toBe("r1");
    expect(transport.available()).toEqual([1, 2]);
    expect([await ask(), await ask(), await ask()]).toEqual(["r2", "r1", "r2"]);
    expect(replicas[0]?.state.calls).toBe(1);
    clock.t = 1000;
    expect(transport.available()).toEqual([0, 1, 2]);
  });

  it.each([
    ["first ejection", 1, 1000],
    ["second in a row doubles", 2, 2000],
    ["capped at maxEjectionMs", 8, 5000],
  ])("ejection time: %s", async (_name, failures, ejectedFor) => {
    // One replica: every call goes to it, ejected or not, so the failures are consecutive.
    const { replicas, transport, ask, clock } = setup(1, { maxEjectionMs: 5000, retry: { maxAttempts: 1 } });
    (replicas[0] as ReturnType<typeof replica>).state.failWith = Code.Unavailable;
    for (let i = 0; i < failures; i++) await expect(ask()).rejects.toMatchObject({ code: Code.Unavailable });
    clock.t = ejectedFor - 1;
    expect(transport.available()).toEqual([]);
    clock.t = ejectedFor;
    expect(transport.available()).toEqual([0]);
  });

  it("does not eject on a caller's error", async () => {
    const { replicas, transport, ask } = setup(2);
    (replicas[0] as ReturnType<typeof replica>).state.failWith = Code.InvalidArgument;
    await expect(ask()).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(transport.available()).toEqual([0, 1]);
  });

  it("when every replica is out, still calls the one back soonest", async () => {
    const { replicas, ask } = setup(2, { retry: { maxAttempts: 2 } });
    for (const r of replicas) r.state.failWith = Code.Unavailable;
    await expect(ask()).rejects.toMatchObject({ code: Code.Unavailable });
    (replicas[0] as ReturnType<typeof replica>).state.failWith = undefined;
    expect(await ask()).toBe("r0");
  });

  it("skips a replica whose health service is not SERVING", async () => {
    const { replicas, transport, ask } = setup(2, { healthCheckIntervalMs: 20 });
    try {
      (replicas[1] as ReturnType<typeof replica>).state.serving = false;
      await new Promise((r) => setTimeout(r, 60));
      expect(transport.available()).toEqual([0]);
      expect([await ask(), await ask()]).toEqual(["r0", "r0"]);
      (replicas[1] as ReturnType<typeof replica>).state.serving = true;
      await new Promise((r) => setTimeout(r, 60));
      expect(transport.available()).toEqual([0, 1]);
    } finally {
      transport.close();
    }
  });

  it("hands each attempt the deadline left, in whole ms", async () => {
    const { ask } = setup(2, { now: () => performance.now() + 0.25 });
    const client = createClient(
      ModelService,
      createBalancedTransport({ targets: [replica("r").transport], now: () => 1000.5 }),
    );
    expect((await client.listModels({}, { timeoutMs: 1000 })).models[0]?.id).toBe("r");
    expect(await ask()).toBe("r0");
  });

  it("refuses an empty target list", () => {
    expect(() => createBalancedTransport({ targets: [] })).toThrow(RangeError);
  });
});
