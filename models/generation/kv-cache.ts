/**
 * Tensor plumbing for the decoder loop: row (batch-dim) gathering, how the KV cache follows rows
 * that are dropped or reordered; and float32/float16 casts between sessions of mixed precision.
 */
import { Tensor } from "onnxruntime-node";
import { float16ToFloat32, floatToHalfBits } from "./float16.js";

type RowData = Tensor["data"] & {
  subarray(begin: number, end: number): RowData;
  set(a: RowData, offset: number): void;
};
type RowDataCtor = new (length: number) => RowData;

/** True when `rows` keeps every one of `count` rows in place. */
export function isIdentity(rows: readonly number[], count: number): boolean {
  return rows.length === count && rows.every((r, i) => r === i);
}

/**
 * A tensor whose row i is row rows[i] of `t` (rows may repeat or be left out). Returns `t` itself
 * when nothing moves. Works for every numeric element type (float32, float16 bits, int64, bool).
 */
export function gatherRows(t: Tensor, rows: readonly number[]): Tensor {
  const count = t.dims[0] ?? 0;
  if (isIdentity(rows, count)) return t;
  const rowSize = count === 0 ? 0 : t.size / count;
  const src = t.data as RowData;
  const out = new (src.constructor as RowDataCtor)(rows.length * rowSize);
  rows.forEach((r, i) => {
    if (!(r >= 0 && r < count)) throw new RangeError(`row ${r} is outside a batch of ${count}`);
    out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return new Tensor(t.type as "float32", out as Float32Array, [rows.length, ...t.dims.slice(1)]);
}

/** `t` as `type` (float32 or float16); `t` itself when it already is. Other types pass unchanged. */
export function castFloat(t: Tensor, type: "float32" | "float16"): Tensor {
  if (t.type === type || (t.type !== "float32" && t.type !== "float16")) return t;
  if (type === "float32") return new Tensor("float32", float16ToFloat32(t.data as ArrayLike<number>), t.dims);
  const src = t.data as Float32Array;
  const bits = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) bits[i] = floatToHalfBits(src[i]!);
  return new Tensor("float16", bits, t.dims);
}
