/**
 * `--draw FILE` of `run` and `call`: each input image written with its result drawn on it
 * (client/annotate). One image: FILE itself. Several: FILE's name with the image's 1-based
 * position in --image order before the extension (out.png -> out-1.png, out-2.png, ...). The
 * extension picks the encoding: .png, .jpg/.jpeg or .webp.
 */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Region } from "../core/geometry.js";
import type { TaskResult } from "../core/results.js";
import { annotate } from "../client/annotate/node.js";
import { UsageError } from "./args.js";

type DrawFormat = "png" | "jpeg" | "webp";

const FORMATS: Readonly<Record<string, DrawFormat>> = {
  ".png": "png",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".webp": "webp",
};

export interface DrawTarget {
  readonly path: string;
  readonly format: DrawFormat;
}

/**
 * Where the drawings of `count` images go, checked before any work is done: a usage error for an
 * extension that is not an image format.
 */
export function drawTargets(file: string, count: number): DrawTarget[] {
  const ext = extname(file);
  const format = FORMATS[ext.toLowerCase()];
  if (format === undefined)
    throw new UsageError(`--draw ${file}: the file must end in .png, .jpg, .jpeg or .webp (it picks the format)`);
  if (count === 1) return [{ path: file, format }];
  const stem = file.slice(0, file.length - ext.length);
  return Array.from({ length: count }, (_, i) => ({ path: `${stem}-${i + 1}${ext}`, format }));
}

/**
 * Draws each result on its image and writes it to its target, naming each file written on
 * `log` (default stderr: stdout holds the JSON). `region` is the call's --region, drawn as the
 * place a region task's text answers about. No targets: nothing to do.
 */
export async function drawResults(
  targets: readonly DrawTarget[],
  images: readonly string[],
  results: readonly TaskResult[],
  region: Region | undefined,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string[]> {
  if (targets.length === 0) return [];
  if (targets.length !== images.length || results.length !== images.length)
    throw new Error(`--draw: ${images.length} images but ${results.length} results and ${targets.length} files`);
  const written: string[] = [];
  for (const [i, target] of targets.entries()) {
    const drawn = await annotate(images[i]!, results[i]!, {
      format: target.format,
      ...(region !== undefined ? { region } : {}),
    });
    await writeFile(target.path, drawn);
    written.push(target.path);
    log(`drew ${target.path}`);
  }
  return written;
}
