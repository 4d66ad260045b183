/**
 * IEEE half -> float32, for fp16 logits. onnxruntime-node hands float16 data out as Uint16Array
 * (raw bits) where the runtime has no Float16Array, and as Float16Array (numbers) where it has.
 */
const pow2 = (e: number): number => 2 ** e;

export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * pow2(-24);
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * pow2(exponent - 15);
}

/** float32 copy of float16 data given as raw bits (Uint16Array) or as numbers (Float16Array). */
export function float16ToFloat32(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  if (data instanceof Uint16Array) {
    for (let i = 0; i < data.length; i++) out[i] = halfBitsToFloat(data[i]!);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = data[i]!;
  }
  return out;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 -> IEEE half bits, rounding to nearest even (as numpy / ORT Cast do). */
export function floatToHalfBits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa rolls into the exponent, which is the correct rounding.
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0));
}
