/**
 * Parsers for polygon answers: referring-expression and region segmentation (`polygons`, no
 * phrase) and the polygon form of open-vocabulary detection (`description_with_polygons`).
 * Python reference semantics (docs/florence2-contract.md#88-polygons): a chunk is a run of at least four items among
 * `<loc_N>`, `<sep>`, `<poly>`, `</poly>` (preceded by a phrase when one is required); a chunk
 * with both `<poly>` and `</poly>` has one instance per `<poly>…</poly>`, otherwise it is one
 * instance; inside an instance each polygon is a run of location tokens ended by `<sep>` or by the
 * end of the instance; an odd number of bins loses its last one.
 */
import { cleanStructured, type MappedText, originSpans, type Span, sliceMapped } from "./clean-text.js";
import type { ParsedPolygonInstance } from "./parsed.js";
import { leadingPhrase, POLYGON_PHRASE } from "./phrase.js";

export interface PolygonParseOptions {
  /** Segmentation tasks: chunks are bare runs, text is ignored and labels are "". Default false. */
  readonly allowEmptyPhrase?: boolean;
}

const ITEM = "(?:<loc_\\d+>|<sep>|<poly>|</poly>)";
const PHRASE_CHUNK = new RegExp(`[^<]+${ITEM}{4,}`, "gu");
const BARE_CHUNK = new RegExp(`${ITEM}{4,}`, "gu");
const LEADING_LOC = /^<loc_\d+>/u;
const INSTANCE = /<poly>([^\n]*?)<\/poly>/gu;
const POLYGON = /((?:<loc_\d+>)+)(?:<sep>|$)/gu;
const LOC = /<loc_(\d+)>/gu;

/** Polygon instances of a decoded answer (special tokens included), in order. Never throws; junk gives []. */
export function parsePolygons(decoded: string, options: PolygonParseOptions = {}): ParsedPolygonInstance[] {
  const allowEmpty = options.allowEmptyPhrase ?? false;
  const text = cleanStructured(decoded);
  const instances: ParsedPolygonInstance[] = [];
  for (const c of text.text.matchAll(allowEmpty ? BARE_CHUNK : PHRASE_CHUNK)) {
    const chunk = sliceMapped(text, c.index, c.index + c[0].length);
    // The phrase is looked for after one leading location token (the reference's `re.sub(r"^<loc_\d+>", "", …, count=1)`).
    const phraseFrom = LEADING_LOC.exec(chunk.text)?.[0].length ?? 0;
    if (phraseFrom === chunk.text.length && !allowEmpty) continue;
    const phrase = leadingPhrase(chunk, POLYGON_PHRASE, phraseFrom);
    if (phrase === undefined) continue;
    for (const body of instanceBodies(chunk)) {
      const parsed = parseInstance(body);
      if (parsed === undefined) continue;
      instances.push({ label: phrase.text, ...parsed, textSpans: phrase.spans });
    }
  }
  return instances;
}

function instanceBodies(chunk: MappedText): MappedText[] {
  if (!(chunk.text.includes("<poly>") && chunk.text.includes("</poly>"))) return [chunk];
  return [...chunk.text.matchAll(INSTANCE)].map((m) => {
    const start = m.index + "<poly>".length;
    return sliceMapped(chunk, start, start + (m[1] as string).length);
  });
}

function parseInstance(body: MappedText): { polygons: number[][]; locationSpans: Span[] } | undefined {
  const polygons: number[][] = [];
  const locationSpans: Span[] = [];
  for (const p of body.text.matchAll(POLYGON)) {
    const run = p[1] as string;
    const locs = [...run.matchAll(LOC)];
    // An unpaired last bin is abandoned, as in the reference.
    const used = locs.length % 2 === 1 ? locs.slice(0, -1) : locs;
    polygons.push(used.map((l) => Number(l[1])));
    for (const l of used) locationSpans.push(...originSpans(body, p.index + l.index, p.index + l.index + l[0].length));
  }
  return polygons.length === 0 ? undefined : { polygons, locationSpans };
}
