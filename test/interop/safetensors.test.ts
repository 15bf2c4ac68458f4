/** safetensors: known values for every dtype, each validation rule on a corrupt file, deterministic round trips. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { interop } from '../../src/index.js';
import { readSafetensorsFile, readSafetensorsFileHeader } from '../../src/entry_node.js';
import { f32Bytes, i64Bytes, rawSafetensors, sharedFile, u16Bytes } from './fixtures.js';

const { readSafetensors, writeSafetensors, readSafetensorsHeader } = interop;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function dispose(ts: Record<string, tf.Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

describe('safetensors: reading', () => {
  it('reads F32 with its shape, and an unaligned data buffer', () => {
    const file = rawSafetensors({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32Bytes([1.5, -2, 3.25, 1e-30]));
    const ts = readSafetensors(file);
    assert.deepEqual(ts.a.shape, [2, 2]);
    assert.equal(ts.a.dtype, 'float32');
    assert.deepEqual(values(ts.a), [1.5, -2, 3.25, Math.fround(1e-30)]);
    const shifted = new Uint8Array(file.byteLength + 1);
    shifted.set(file, 1);
    assert.deepEqual(values(readSafetensors(shifted.subarray(1)).a), values(ts.a));
    dispose(ts);
  });

  it('F16 → float32: normal, largest, subnormal, zero, infinities and NaN', () => {
    const bits = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const ts = readSafetensors(rawSafetensors({ h: { dtype: 'F16', shape: [9], data_offsets: [0, 18] } }, u16Bytes(bits)));
    const v = values(ts.h);
    assert.deepEqual(v.slice(0, 8), [1, -2, 0.333251953125, 65504, 5.960464477539063e-8, -0, Infinity, -Infinity]);
    assert.ok(Number.isNaN(v[8]));
    assert.ok(Object.is(v[5], -0), 'negative zero keeps its sign');
    dispose(ts);
  });

  it('BF16 → float32: the upper 16 bits of the float32', () => {
    const bits = [0x3f80, 0x4049, 0xc2f7, 0x0001, 0x7f80];
    const ts = readSafetensors(rawSafetensors({ b: { dtype: 'BF16', shape: [5], data_offsets: [0, 10] } }, u16Bytes(bits)));
    assert.deepEqual(values(ts.b), [1, 3.140625, -123.5, 9.183549615799121e-41, Infinity]);
    dispose(ts);
  });

  it('I64 → int32 when in range; out of range is an error naming the key', () => {
    const ok = readSafetensors(rawSafetensors({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, i64Bytes([-7n])));
    assert.equal(ok.n.dtype, 'int32');
    assert.deepEqual(ok.n.shape, []);
    assert.deepEqual(values(ok.n), [-7]);
    dispose(ok);
    const big = rawSafetensors(
      { 'bn.num_batches_tracked': { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
      i64Bytes([1n, 1n << 40n]),
    );
    assert.throws(() => readSafetensors(big), /'bn\.num_batches_tracked'.*1099511627776 .*does not fit in int32/);
  });

  it('I32, F64 and BOOL', () => {
    const data = new Uint8Array(4 + 8 + 2);
    new DataView(data.buffer).setInt32(0, -123456, true);
    new DataView(data.buffer).setFloat64(4, 0.1, true);
    data.set([1, 0], 12);
    const ts = readSafetensors(
      rawSafetensors(
        {
          i: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
          d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
          b: { dtype: 'BOOL', shape: [2], data_offsets: [12, 14] },
        },
        data,
      ),
    );
    assert.deepEqual(values(ts.i), [-123456]);
    assert.deepEqual(values(ts.d), [Math.fround(0.1)]);
    assert.equal(ts.b.dtype, 'bool');
    assert.deepEqual(values(ts.b), [1, 0]);
    dispose(ts);
  });

  it('keeps __metadata__ and allows zero-element tensors', () => {
    const file = rawSafetensors({ __metadata__: { format: 'pt' }, e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } });
    assert.deepEqual(readSafetensorsHeader(file).metadata, { format: 'pt' });
    const ts = readSafetensors(file);
    assert.deepEqual(ts.e.shape, [0, 3]);
    dispose(ts);
  });
});

describe('safetensors: every validation rule, each naming the problem', () => {
  const a = (offsets: [number, number], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than the length field', new Uint8Array(5), /5 bytes, too short/],
    [
      'header length past the end of the file',
      rawSafetensors({ x: a([0, 8]) }, f32Bytes([1, 2]), 1000),
      /header length 1000 runs past the end of the file/,
    ],
    ['bad JSON', rawSafetensors('{"x": {"dtype": "F32",', new Uint8Array(0)), /header is not valid JSON/],
    ['a JSON array', rawSafetensors('[1,2]'), /must be a JSON object of tensors, got an array/],
    [
      'unknown dtype',
      rawSafetensors({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'w': unknown dtype "F8_E4M3"/,
    ],
    [
      'shape not matching the byte count',
      rawSafetensors({ w: a([0, 12], [2, 2]) }, new Uint8Array(12)),
      /tensor 'w': shape \[2,2\] of F32 needs 16 bytes but data_offsets \[0, 12\] hold 12/,
    ],
    [
      'a negative shape',
      rawSafetensors({ w: a([0, 8], [-2]) }, new Uint8Array(8)),
      /tensor 'w': shape must be an array of non-negative integers/,
    ],
    ['reversed offsets', rawSafetensors({ w: a([8, 0]) }, new Uint8Array(8)), /tensor 'w': data_offsets must be \[begin, end\]/],
    [
      'overlapping offsets',
      rawSafetensors({ u: a([0, 8]), v: a([4, 12]) }, new Uint8Array(12)),
      /tensor 'v' data_offsets \[4, 12\] overlap tensor 'u' \[0, 8\]/,
    ],
    [
      'a gap between tensors',
      rawSafetensors({ u: a([0, 8]), v: a([12, 20]) }, new Uint8Array(20)),
      /tensor 'v' starts at 12, leaving a gap of 4 bytes after tensor 'u'/,
    ],
    [
      'a gap before the first tensor',
      rawSafetensors({ u: a([4, 12]) }, new Uint8Array(12)),
      /tensor 'u' starts at 4, leaving a gap of 4 bytes after the header/,
    ],
    [
      'bytes after the last tensor',
      rawSafetensors({ u: a([0, 8]) }, new Uint8Array(10)),
      /2 bytes after the last tensor 'u' belong to no tensor/,
    ],
    [
      'offsets past the end of the data',
      rawSafetensors({ u: a([0, 8]), v: a([8, 16]) }, new Uint8Array(12)),
      /tensor 'v' data_offsets \[8, 16\] run past the end of the data \(12 bytes\)/,
    ],
    ['metadata that is not strings', rawSafetensors({ __metadata__: { n: 3 } }), /__metadata__ 'n' must be a string/],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'acon-safetensors-'));
  for (const [name, bytes, message] of cases) {
    it(`${name}: in memory and from a file`, () => {
      assert.throws(() => readSafetensors(bytes), message);
      const path = join(dir, `${name.replace(/\W+/g, '_')}.safetensors`);
      writeFileSync(path, bytes);
      assert.throws(
        () => readSafetensorsFile(path),
        (e: Error) => message.test(e.message) && e.message.startsWith(path),
      );
    });
  }
});

describe('safetensors: writing', () => {
  it('is deterministic: keys sorted, the same bytes for the same tensors in any insertion order', () => {
    const make = () => ({ z: tf.tensor([1, 2, 3]), a: tf.tensor([[4]], [1, 1]), m: tf.tensor([5, 6], [2], 'int32') });
    const t1 = make(),
      t2 = make();
    const reversed = Object.fromEntries(Object.entries(t2).reverse());
    const b1 = writeSafetensors(t1, { format: 'pt', b: 'x' });
    const b2 = writeSafetensors(reversed, { b: 'x', format: 'pt' });
    assert.deepEqual(b1, b2);
    const h = readSafetensorsHeader(b1);
    assert.deepEqual(
      h.entries.map((e) => [e.key, e.dtype, e.shape, e.begin, e.end]),
      [
        ['a', 'F32', [1, 1], 0, 4],
        ['m', 'I32', [2], 4, 12],
        ['z', 'F32', [3], 12, 24],
      ],
    );
    assert.equal(h.dataStart % 8, 0, 'header padded to 8 bytes');
    dispose(t1);
    dispose(t2);
  });

  it('write → read → write is bit-identical, values included (NaN payload, -0, subnormals)', () => {
    const special = new Float32Array([NaN, -0, 1e-45, 3.4e38, -Infinity]);
    const ts = { x: tf.tensor(special), y: tf.tensor([[-1, 2]], [1, 2], 'int32'), flag: tf.tensor([true, false], [2], 'bool') };
    const first = writeSafetensors(ts);
    const back = readSafetensors(first);
    const second = writeSafetensors(back);
    assert.deepEqual(second, first);
    dispose(ts);
    dispose(back);
  });

  it('refuses a reserved key and unstorable dtypes, naming them', () => {
    const c = tf.complex([1], [2]);
    assert.throws(() => writeSafetensors({ c }), /tensor 'c': cannot store a complex64 tensor/);
    c.dispose();
    const t = tf.tensor([1]);
    assert.throws(() => writeSafetensors({ __metadata__: t }), /'__metadata__' is reserved/);
    t.dispose();
  });
});

describe('safetensors: the shared reference checkpoint', () => {
  const path = sharedFile('zoo/shufflenetv2_0.5x_acon.safetensors');
  it('the file reader equals the in-memory reader; read → write → read → write is bit-identical', { skip: !path }, async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(readFileSync(path!));
    const header = readSafetensorsFileHeader(path!);
    assert.equal(header.entries.length, 449);
    const mem = readSafetensors(bytes);
    const file = readSafetensorsFile(path!);
    assert.deepEqual(Object.keys(file).sort(), Object.keys(mem).sort());
    for (const k of Object.keys(mem)) {
      assert.deepEqual(file[k].shape, mem[k].shape, k);
      assert.deepEqual(new Uint8Array(file[k].dataSync().buffer), new Uint8Array(mem[k].dataSync().buffer), k);
    }
    const once = writeSafetensors(mem);
    const again = readSafetensors(once);
    assert.deepEqual(writeSafetensors(again), once);
    dispose(mem);
    dispose(file);
    dispose(again);
  });
});
