/**
 * The browser entry carries the canvas renderer but not Node's annotate: bundled for browsers as
 * an application would (esbuild), it holds annotateCanvas and never sharp or client/annotate/node.ts.
 */
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("client/browser.ts bundle", () => {
  it("has annotateCanvas and annotationSvg, and no sharp", async () => {
    const result = await build({
      entryPoints: ["client/browser.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("client/annotate/canvas.ts");
    expect(inputs).not.toContain("client/annotate/node.ts");
    expect(inputs.some((p) => p.includes("node_modules/sharp"))).toBe(false);
    const output = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!;
    expect(output.exports).toEqual(
      expect.arrayContaining(["annotateCanvas", "annotationSvg", "annotationDisplayList"]),
    );
    expect(output.imports.map((i) => i.path)).not.toContain("sharp");
  });
});
