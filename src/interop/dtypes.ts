/**
 * Element types of stored tensors (safetensors dtypes; PyTorch storages map onto them) and their
 * decoding into tfjs tensors: floats become float32, integers int32 (int64 only when every value
 * fits), BOOL bool. All stored data is little-endian.
 */
import * as tf from '@tensorflow/tfjs-core';

export type StoredDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ITEM_SIZE: Record<StoredDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export function isStoredDtype(d: unknown): d is StoredDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, d);
}

/** IEEE 754 half precision (1 sign, 5 exponent, 10 mantissa bits) → number, subnormals, ±Inf and NaN included. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decodes `bytes` (exactly `elementCount(shape) · ITEM_SIZE[dtype]` long, any alignment) into a tensor.
 * `what` names the tensor in errors. `owned`: the caller hands `bytes` over (nothing else uses its
 * buffer), so aligned float32 data becomes the tensor without a copy.
 */
export function decodeTensor(bytes: Uint8Array, dtype: StoredDtype, shape: number[], what: string, owned = false): tf.Tensor {
  const n = elementCount(shape);
  if (bytes.byteLength !== n * ITEM_SIZE[dtype])
    throw new Error(`${what}: ${dtype} shape [${shape}] needs ${n * ITEM_SIZE[dtype]} bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      if (owned && bytes.byteOffset % 4 === 0) return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, n), shape, 'float32');
      const out = new Float32Array(n);
      if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return tf.tensor(out, shape, 'float32');
    }
    case 'F64':
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      if (dtype === 'F64') for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      else if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      else {
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      }
      return tf.tensor(out, shape, 'float32');
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new Error(`${what}: I64 value ${v} at flat index ${i} does not fit in int32 (tfjs has no int64)`);
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
    case 'I32':
    case 'I16':
    case 'I8':
    case 'U8': {
      const out = new Int32Array(n);
      const get = {
        I32: (i: number) => view.getInt32(4 * i, true),
        I16: (i: number) => view.getInt16(2 * i, true),
        I8: (i: number) => view.getInt8(i),
        U8: (i: number) => view.getUint8(i),
      }[dtype];
      for (let i = 0; i < n; i++) out[i] = get(i);
      return tf.tensor(out, shape, 'int32');
    }
    case 'BOOL':
      return tf.tensor(
        Uint8Array.from(bytes, (b) => (b ? 1 : 0)),
        shape,
        'bool',
      );
  }
}

/** The stored dtype and little-endian bytes of a tfjs tensor (float32 → F32, int32 → I32, bool → BOOL). */
export function encodeTensor(t: tf.Tensor, what: string): { dtype: StoredDtype; bytes: Uint8Array } {
  const values = t.dataSync();
  switch (t.dtype) {
    case 'float32':
      return { dtype: 'F32', bytes: new Uint8Array(Float32Array.from(values as Float32Array).buffer) };
    case 'int32':
      return { dtype: 'I32', bytes: new Uint8Array(Int32Array.from(values as Int32Array).buffer) };
    case 'bool':
      return { dtype: 'BOOL', bytes: Uint8Array.from(values as Uint8Array) };
    default:
      throw new Error(`${what}: cannot store a ${t.dtype} tensor (float32, int32 and bool can be stored)`);
  }
}
