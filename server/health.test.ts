import { describe, expect, it } from "vitest";
import { HealthRegistry, ServingStatus } from "./health.js";

describe("HealthRegistry", () => {
  it("knows the server and the given services, all NOT_SERVING at first", () => {
    const r = new HealthRegistry(["a.v1.A"]);
    expect(r.entries()).toEqual([
      ["", ServingStatus.NOT_SERVING],
      ["a.v1.A", ServingStatus.NOT_SERVING],
    ]);
    expect(r.get("b.v1.B")).toBeUndefined();
  });

  it("notifies listeners once per real change and stops after unsubscribe", () => {
    const r = new HealthRegistry(["a.v1.A"]);
    let calls = 0;
    const off = r.onChange(() => calls++);
    r.setAll(ServingStatus.SERVING);
    r.setAll(ServingStatus.SERVING);
    expect(calls).toBe(1);
    expect(r.get("a.v1.A")).toBe(ServingStatus.SERVING);
    off();
    r.setAll(ServingStatus.NOT_SERVING);
    expect(calls).toBe(1);
    expect(r.listenerCount).toBe(0);
  });
});
