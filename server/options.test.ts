import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER_OPTIONS, makeServerOptions } from "./options.js";

describe("makeServerOptions", () => {
  it("returns the defaults, with overrides applied", () => {
    expect(makeServerOptions()).toEqual(DEFAULT_SERVER_OPTIONS);
    const o = makeServerOptions({ port: 0, maxConcurrentStreams: 2 });
    expect(o.port).toBe(0);
    expect(o.maxConcurrentStreams).toBe(2);
    expect(o.readMaxBytes).toBe(64 * 1024 * 1024);
  });

  it.each([
    [{ port: 70_000 }, RangeError, /port must be between 0 and 65535/],
    [{ maxImagesPerRequest: 0 }, RangeError, /maxImagesPerRequest/],
    [{ readMaxBytes: 2 ** 33 }, RangeError, /readMaxBytes/],
    [{ maxNumBeams: 1.5 }, TypeError, /maxNumBeams must be an integer/],
    [{ host: "" }, TypeError, /host/],
  ])("rejects %j", (options, type, message) => {
    expect(() => makeServerOptions(options)).toThrow(type);
    expect(() => makeServerOptions(options)).toThrow(message);
  });
});
