/**
 * log_softmax over one logits row, with float32 rounding where PyTorch's CPU kernel rounds:
 * out[i] = fp32(fp32(x[i] - max) - fp32(log(sum(exp(x - max))))). Beam search compares sums of
 * these values, so matching the reference's rounding keeps near-ties resolved the same way.
 * The sum is accumulated in float64 here (PyTorch: float32 lanes), which can move log(sum) by
 * one float32 ulp; that only matters for candidates that tie to within ~1e-7.
 */

/** fp32(log(sum(exp(x - max)))) and max, for a row of finite-or-(-inf) values. */
export function logSumExpParts(row: Float32Array): { readonly max: number; readonly logSum: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > max) max = v;
  }
  if (max === Number.NEGATIVE_INFINITY) return { max, logSum: Number.NaN };
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(Math.fround(row[i]! - max));
  return { max, logSum: Math.fround(Math.log(sum)) };
}

/** The log-softmax of row[index] without touching the row. */
export function logSoftmaxAt(row: Float32Array, index: number, parts = logSumExpParts(row)): number {
  return Math.fround(Math.fround(row[index]! - parts.max) - parts.logSum);
}

/** Replaces the row by its log-softmax, in place (Float32Array stores round to float32). */
export function logSoftmaxInPlace(row: Float32Array): void {
  const { max, logSum } = logSumExpParts(row);
  for (let i = 0; i < row.length; i++) row[i] = Math.fround(row[i]! - max) - logSum;
}
