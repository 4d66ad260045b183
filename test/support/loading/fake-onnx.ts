/**
 * Test support: writes minimal ONNX graphs whose inputs carry exactly the declared names, element
 * types and dims, so session loading and contract checks can be tested with real onnxruntime
 * metadata for any layer count, size or dim naming, without Python or big fixtures.
 * Each output is Expand(value, shape) where both come from ReduceMax over the first input, so ORT's
 * shape inference knows only the output's rank and keeps the declared dims (a shape it could infer
 * and that contradicted the declaration would be dropped). The graphs load; they compute nothing useful.
 */

export type FakeElemType = "float32" | "float16" | "int64" | "int32" | "bool";

const ELEM_TYPE: Readonly<Record<FakeElemType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10 };

export interface FakeValue {
  readonly name: string;
  readonly type: FakeElemType;
  /** Dims: numbers or symbolic names; [] or absent = no declared shape. */
  readonly dims?: readonly (number | string)[];
}

export interface FakeGraph {
  readonly inputs: readonly FakeValue[];
  readonly outputs: readonly FakeValue[];
}

/** Minimal protobuf writer: just varints and length-delimited fields. */
class Writer {
  private readonly bytes: number[] = [];

  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.raw(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: Writer): this {
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.raw(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  private tag(field: number, wireType: number): void {
    this.raw(field * 8 + wireType);
  }

  private raw(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) + 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }
}

function valueInfo(v: FakeValue): Writer {
  const tensor = new Writer().varint(1, ELEM_TYPE[v.type]);
  if (v.dims !== undefined && v.dims.length > 0) {
    const shape = new Writer();
    for (const d of v.dims)
      shape.message(1, typeof d === "number" ? new Writer().varint(1, d) : new Writer().string(2, d));
    tensor.message(2, shape);
  }
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensor));
}

function intAttr(name: string, value: number): Writer {
  return new Writer().string(1, name).varint(3, value).varint(20, 2);
}

function intsAttr(name: string, values: readonly number[]): Writer {
  const w = new Writer().string(1, name);
  for (const v of values) w.varint(8, v);
  return w.varint(20, 7);
}

function node(op: string, inputs: readonly string[], output: string, attrs: readonly Writer[] = []): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  w.string(2, output).string(3, `${op}_${output}`).string(4, op);
  for (const a of attrs) w.message(5, a);
  return w;
}

/** Serializes a ModelProto (IR 7, opset 11: every op takes attributes, no constant tensors needed). */
export function encodeFakeModel(graph: FakeGraph): Uint8Array {
  const first = graph.inputs[0];
  if (first === undefined) throw new Error("a fake graph needs at least one input");
  const g = new Writer();
  // s = max(int64(first)), a scalar whose value shape inference cannot know; u = [s].
  g.message(1, node("Cast", [first.name], "fake_i64", [intAttr("to", ELEM_TYPE.int64)]));
  g.message(1, node("ReduceMax", ["fake_i64"], "fake_s", [intAttr("keepdims", 0)]));
  g.message(1, node("Unsqueeze", ["fake_s"], "fake_u", [intsAttr("axes", [0])]));
  graph.outputs.forEach((out, i) => {
    const rank = out.dims?.length ?? 0;
    g.message(1, node("Cast", ["fake_s"], `fake_v${i}`, [intAttr("to", ELEM_TYPE[out.type])]));
    if (rank === 0) {
      g.message(1, node("Identity", [`fake_v${i}`], out.name));
      return;
    }
    g.message(
      1,
      node(
        "Concat",
        Array.from({ length: rank }, () => "fake_u"),
        `fake_shape${i}`,
        [intAttr("axis", 0)],
      ),
    );
    g.message(1, node("Expand", [`fake_v${i}`, `fake_shape${i}`], out.name));
  });
  g.string(2, "fake");
  for (const v of graph.inputs) g.message(11, valueInfo(v));
  for (const v of graph.outputs) g.message(12, valueInfo(v));
  return new Writer().varint(1, 7).message(7, g).message(8, new Writer().string(1, "").varint(2, 11)).finish();
}
