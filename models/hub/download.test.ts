import { describe, expect, it } from "vitest";
import { normalizeEtag, sha256FromEtag } from "./download.js";
import { cacheRevisionDir, isCommitHash, repoInfoUrl, resolveUrl } from "./url.js";

const SHA = "a".repeat(64);

describe("etags", () => {
  it.each([
    [null, undefined],
    ['""', undefined],
    [`"${SHA}"`, SHA],
    [`W/"abc"`, "abc"],
    ["plain", "plain"],
  ])("normalizeEtag(%s) = %s", (raw, etag) => {
    expect(normalizeEtag(raw)).toBe(etag);
  });

  it.each([
    [SHA, SHA],
    [SHA.toUpperCase(), SHA],
    ["b".repeat(40), undefined],
    ["cdn-123", undefined],
    [undefined, undefined],
  ])("sha256FromEtag(%s) = %s", (etag, sha) => {
    expect(sha256FromEtag(etag)).toBe(sha);
  });
});

describe("hub urls", () => {
  it("builds resolve and info urls, encoding the revision whole", () => {
    expect(resolveUrl("https://hf.co/", "o/n", "refs/pr/1", "onnx/a b.onnx")).toBe(
      "https://hf.co/o/n/resolve/refs%2Fpr%2F1/onnx/a%20b.onnx",
    );
    expect(repoInfoUrl("http://h", "o/n", "main")).toBe("http://h/api/models/o/n/revision/main");
  });

  it("keeps each revision in its own cache folder", () => {
    expect(cacheRevisionDir("/c", "o/n", "refs/pr/1")).toBe("/c/o--n/refs%2Fpr%2F1");
  });

  it("knows commit hashes", () => {
    expect([isCommitHash("0".repeat(40)), isCommitHash("main"), isCommitHash("0".repeat(39))]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
