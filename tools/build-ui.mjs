#!/usr/bin/env node
/**
 * Builds the "try it" page (ui/) into dist/ui for `florence2 serve --ui` (server/ui-assets.ts):
 * ui/main.ts with the browser client bundled in and ui/style.css, each under a content-hashed
 * name; index.html pointing at those names; and ui-manifest.json listing the files the server may
 * serve. Everything is local: the page loads nothing from another site.
 *
 *   node tools/build-ui.mjs [--out-dir DIR]   (default dist/ui; --sourcemap adds .map files)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = join(ROOT, "ui");
export const MANIFEST = "ui-manifest.json";

/** The placeholders of ui/index.html and the entry point each one names. */
const ENTRIES = [
  { placeholder: 'href="style.css"', entry: "style.css", attribute: "href" },
  { placeholder: 'src="main.js"', entry: "main.ts", attribute: "src" },
];

/** Builds the page into `outDir` (emptied first); returns the names written, manifest excluded. */
export async function buildUi({ outDir = join(ROOT, "dist/ui"), sourcemap = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES.map((e) => join(SOURCE, e.entry)),
    outdir: outDir,
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  let html = readFileSync(join(SOURCE, "index.html"), "utf8");
  for (const { placeholder, entry, attribute } of ENTRIES) {
    const output = Object.entries(result.metafile.outputs).find(
      ([, meta]) => meta.entryPoint !== undefined && basename(meta.entryPoint) === entry,
    );
    if (output === undefined) throw new Error(`build-ui: esbuild wrote nothing for ui/${entry}`);
    if (!html.includes(placeholder)) throw new Error(`build-ui: ui/index.html lost its ${placeholder}`);
    html = html.replace(placeholder, `${attribute}="${basename(output[0])}"`);
  }
  writeFileSync(join(outDir, "index.html"), html);
  const files = [
    "index.html",
    ...Object.keys(result.metafile.outputs).map((path) => relative(outDir, resolve(ROOT, path))),
  ].sort();
  writeFileSync(join(outDir, MANIFEST), `${JSON.stringify({ files }, null, 2)}\n`);
  return files;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { "out-dir": { type: "string" }, sourcemap: { type: "boolean", default: false } },
  });
  const outDir = values["out-dir"] === undefined ? undefined : resolve(values["out-dir"]);
  const files = await buildUi({ ...(outDir === undefined ? {} : { outDir }), sourcemap: values.sourcemap });
  console.log(`build-ui: ${files.length} files in ${values["out-dir"] ?? "dist/ui"}`);
}
