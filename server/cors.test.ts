import { describe, expect, it } from "vitest";
import { allowOriginFor, corsOriginProblem } from "./cors.js";
import { makeServerOptions } from "./options.js";

describe("corsOriginProblem", () => {
  it.each([["*"], ["https://app.example.com"], ["http://localhost:5173"], ["http://127.0.0.1:8080"]])(
    "accepts %s",
    (origin) => {
      expect(corsOriginProblem(origin)).toBeUndefined();
    },
  );
  it.each([
    ["https://app.example.com/", /use "https:\/\/app.example.com"/],
    ["https://app.example.com/path", /no path/],
    ["app.example.com", /scheme:\/\/host\[:port\]/],
    ["HTTPS://App.Example.com", /use "https:\/\/app.example.com"/],
  ])("refuses %s, saying how to write it", (origin, message) => {
    expect(corsOriginProblem(origin)).toMatch(message);
  });
  it("makeServerOptions refuses a bad origin, naming the option", () => {
    expect(() => makeServerOptions({ corsAllowedOrigins: ["https://a.example/"] })).toThrow(/corsAllowedOrigins/);
  });
});

describe("allowOriginFor", () => {
  it.each<[string | undefined, string[], string | undefined]>([
    ["https://a.example", [], undefined],
    ["https://a.example", ["https://a.example"], "https://a.example"],
    ["https://b.example", ["https://a.example"], undefined],
    ["https://b.example", ["*"], "*"],
    [undefined, ["*"], undefined],
    ["https://a.example:8443", ["https://a.example"], undefined],
  ])("origin %s with allowed %j -> %s", (origin, allowed, expected) => {
    expect(allowOriginFor(origin, allowed)).toBe(expected);
  });
});
