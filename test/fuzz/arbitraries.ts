/**
 * fast-check arbitraries for the fuzz test: any message of our API built from its descriptor (so
 * a new field is fuzzed without touching this file), with images and generation options biased
 * towards values the model can really run, and byte-level mutations of encoded requests.
 */
import { create, type DescField, type DescMessage, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import fc from "fast-check";
import { GenerationOptionsSchema } from "../../gen/florence/v1/task_pb.js";
import { ImageSchema, RawImageSchema } from "../../gen/florence/v1/image_pb.js";

/** Arbitraries for whole messages of a type, used instead of the generic one. */
export type Overrides = ReadonlyMap<string, fc.Arbitrary<unknown>>;

const UINT32_EDGES = [0, 1, 2, 7, 255, 1023, 1024, 4096, 65_535, 0xffff_ffff];

function scalarArbitrary(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.DOUBLE:
      return fc.oneof(fc.double(), fc.constantFrom(0, -1, 1e9, Number.NaN, Number.POSITIVE_INFINITY, -0));
    case ScalarType.FLOAT:
      return fc.oneof(
        fc.float(),
        fc.constantFrom(0, -1, 1e9, Number.NaN, Number.POSITIVE_INFINITY, -0),
        fc.integer({ min: -10, max: 2000 }),
      );
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(fc.integer(), fc.integer({ min: -4, max: 64 }));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.constantFrom(...UINT32_EDGES), fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 64 }));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom("", " ", "cat", "<OD>", "<and>", "a".repeat(5000)),
      );
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 });
  }
}

function enumArbitrary(
  field: (DescField & { fieldKind: "enum" }) | (DescField & { fieldKind: "list"; listKind: "enum" }),
): fc.Arbitrary<number> {
  const numbers = field.enum.values.map((v) => v.number);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...numbers) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 1000 }) },
  );
}

/** A value for one (non-oneof-aware) field, or undefined to leave it unset. */
function fieldArbitrary(field: DescField, overrides: Overrides, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArbitrary(field.scalar);
    case "enum":
      return enumArbitrary(field);
    case "message":
      return messageInit(field.message, overrides, depth + 1);
    case "list":
      if (field.listKind === "scalar") return fc.array(scalarArbitrary(field.scalar), { maxLength: 4 });
      if (field.listKind === "enum") return fc.array(enumArbitrary(field), { maxLength: 4 });
      return fc.array(messageInit(field.message, overrides, depth + 1), { maxLength: depth > 2 ? 0 : 3 });
    case "map":
      return fc.constant({});
  }
}

/** An init object for `create(schema, init)`: any subset of fields, one case per oneof. */
export function messageInit(schema: DescMessage, overrides: Overrides, depth = 0): fc.Arbitrary<unknown> {
  const override = overrides.get(schema.typeName);
  if (override !== undefined) return override;
  if (depth > 4) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        fc.constant(undefined),
        ...member.fields.map((f) => fieldArbitrary(f, overrides, depth).map((value) => ({ case: f.localName, value }))),
      );
    } else {
      parts[member.localName] = fc.option(fieldArbitrary(member, overrides, depth), { nil: undefined, freq: 3 });
    }
  }
  return fc.record(parts).map((init) => Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)));
}

/** A message of `schema` with random field values (see messageInit). */
export function messageArbitrary<Desc extends DescMessage>(
  schema: Desc,
  overrides: Overrides,
): fc.Arbitrary<MessageShape<Desc>> {
  // Some generated values are out of a field's range for create() (e.g. a negative int for a
  // uint32 is fine, a double for int fields never happens): create() copies what it is given.
  return messageInit(schema, overrides).map((init) => create(schema, init as never));
}

/**
 * Images: real encoded pictures (what runs the model), the same with bytes cut or flipped, random
 * bytes, and raw pixels whose size is right or wrong.
 */
export function imageOverride(pictures: readonly Uint8Array[]): fc.Arbitrary<unknown> {
  const picture = fc.constantFrom(...pictures);
  const encoded = fc.oneof(
    { weight: 4, arbitrary: picture },
    {
      weight: 1,
      arbitrary: fc
        .tuple(picture, fc.double({ min: 0, max: 1, noNaN: true }))
        .map(([p, f]) => p.subarray(0, Math.floor(p.length * f))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(picture, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }))
        .map(([p, at]) => flipBits(p, at)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  );
  const raw = fc
    .record({
      width: fc.integer({ min: 0, max: 48 }),
      height: fc.integer({ min: 0, max: 48 }),
      format: fc.integer({ min: 0, max: 5 }),
      exact: fc.boolean(),
      seed: fc.nat(255),
    })
    .map(({ width, height, format, exact, seed }) => {
      const channels = format === 3 ? 1 : format === 2 ? 4 : 3;
      const length = exact ? width * height * channels : (width * height * channels + 1 + seed) % 4096;
      return create(RawImageSchema, { width, height, format, data: new Uint8Array(length).fill(seed) });
    });
  return fc.oneof(
    { weight: 6, arbitrary: encoded.map((value) => create(ImageSchema, { source: { case: "encoded", value } })) },
    { weight: 2, arbitrary: raw.map((value) => create(ImageSchema, { source: { case: "raw", value } })) },
    { weight: 1, arbitrary: fc.constant(create(ImageSchema, {})) },
  );
}

/**
 * Generation options: mostly short greedy or small-beam decoding (a random-weight model rarely
 * stops by itself, so unbounded requests would only measure the deadline), sometimes anything.
 */
export const generationOptionsOverride: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        numBeams: fc.integer({ min: 1, max: 3 }),
        maxNewTokens: fc.integer({ min: 1, max: 8 }),
        noRepeatNgramSize: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      })
      .map((init) => create(GenerationOptionsSchema, init)),
  },
  {
    weight: 1,
    arbitrary: messageInit(GenerationOptionsSchema, new Map()).map((init) =>
      create(GenerationOptionsSchema, { maxNewTokens: 4, ...(init as object) }),
    ),
  },
);

export function flipBits(bytes: Uint8Array, positions: readonly number[]): Uint8Array {
  const out = bytes.slice();
  if (out.length === 0) return out;
  for (const p of positions) {
    const bit = p % (out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
  }
  return out;
}

/** Ways to damage an encoded request. */
export const byteMutation: fc.Arbitrary<(bytes: Uint8Array) => Uint8Array> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => (b: Uint8Array) => b.subarray(0, Math.floor(b.length * f))),
  fc.array(fc.nat(), { minLength: 1, maxLength: 16 }).map((at) => (b: Uint8Array) => flipBits(b, at)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, extra]) => (b: Uint8Array) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
  }),
  fc.uint8Array({ maxLength: 128 }).map((random) => () => random),
);

/** Ways to damage a JSON request body. */
export const jsonMutation: fc.Arbitrary<(json: string) => string> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => (s: string) => s.slice(0, Math.floor(s.length * f))),
  fc
    .tuple(fc.nat(), fc.constantFrom("{", "}", '"', ",", "null", "[1]", '"x"', "-1", "1e400", "\u0000"))
    .map(([at, junk]) => (s: string) => {
      const i = s.length === 0 ? 0 : at % s.length;
      return s.slice(0, i) + junk + s.slice(i);
    }),
  fc
    .constantFrom(
      '{"images": 5}',
      '{"images": [{"encoded": "not base64!"}]}',
      '{"options": {"maxNewTokens": -1}}',
      '{"granularity": "NOPE"}',
      "[]",
      "null",
      '{"unknownField": 1}',
    )
    .map((s) => () => s),
);
