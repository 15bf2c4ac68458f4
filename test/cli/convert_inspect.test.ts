/**
 * `acon convert` and `acon inspect` on the official ShuffleNetV2 0.5x ACON checkpoint written by
 * torch.save: the tfjs directory loads with tf.loadLayersModel and gives PyTorch's logits; the
 * safetensors output holds the .pth's tensors bit for bit (checked by PyTorch too, when present).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { interop, layers } from '../../src/index.js';
import { readSafetensorsFile, saveModel } from '../../src/entry_node.js';
import { convertCommand, parseZooSpec } from '../../src/cli/convert.js';
import { aconLayersOf } from '../../src/cli/inspect.js';
import { useBackend } from '../helpers/backends.js';
import { sharedFile } from '../interop/fixtures.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function acon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command in this process with console.log captured. */
async function quietly(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { code: await f(), out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

const pth = sharedFile('zoo/shufflenetv2_0.5x_acon.pth');
const io = sharedFile('zoo/shufflenetv2_0.5x_acon.io.safetensors');

describe('acon convert: the official ShuffleNetV2 0.5x ACON .pth', { skip: !(pth && io) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'acon-convert-'));
  before(async () => {
    const { code } = await quietly(() =>
      convertCommand([
        pth!,
        '--to',
        join(dir, 'sd.safetensors'),
        '--to-tfjs',
        join(dir, 'tfjs'),
        '--zoo',
        'shufflenetv2:0.5x:aconC',
        '--backend',
        'wasm',
      ]),
    );
    assert.equal(code, 0);
    await useBackend('wasm');
  });

  it('--to-tfjs: tf.loadLayersModel reads the directory and gives the PyTorch logits (≤ 1e-4 relative)', async () => {
    const json = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'tfjs', 'weights.bin'));
    const model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    assert.equal(model.countParams(), 1387552);
    const ref = readSafetensorsFile(io!);
    const logits = tf.tidy(() => model.predict(tf.transpose(ref.x, [0, 2, 3, 1])) as tf.Tensor);
    assert.deepEqual(logits.shape, [2, 1000]);
    const rel = tf.tidy(() => tf.max(tf.abs(tf.sub(logits, ref.logits))).dataSync()[0] / tf.max(tf.abs(ref.logits)).dataSync()[0]);
    assert.ok(rel <= 1e-4, `max |Δ| / max |logit| = ${rel}`);
    // and back: the loaded model exports the checkpoint's tensors bit for bit; export → write → read → write is bit-identical
    const exported = interop.exportTorchStateDict(model);
    const fromPth = await interop.readTorchCheckpoint(new Uint8Array(readFileSync(pth!)));
    assert.deepEqual(
      Object.keys(exported).sort(),
      Object.keys(fromPth)
        .filter((k) => !k.endsWith('.num_batches_tracked'))
        .sort(),
    );
    for (const k of Object.keys(exported)) {
      assert.deepEqual(exported[k].shape, fromPth[k].shape, k);
      assert.deepEqual(new Uint8Array(exported[k].dataSync().buffer), new Uint8Array(fromPth[k].dataSync().buffer), k);
    }
    const written = interop.writeSafetensors(exported);
    const reread = interop.readSafetensors(written);
    assert.deepEqual(interop.writeSafetensors(reread), written);
    tf.dispose([logits, ...Object.values(ref), ...Object.values(exported), ...Object.values(fromPth), ...Object.values(reread)]);
    model.dispose();
  });

  it('--to: the safetensors file holds the .pth tensors bit for bit, num_batches_tracked as I32', async () => {
    const fromPth = await interop.readTorchCheckpoint(new Uint8Array(readFileSync(pth!)));
    const out = readSafetensorsFile(join(dir, 'sd.safetensors'));
    assert.deepEqual(Object.keys(out).sort(), Object.keys(fromPth).sort());
    for (const k of Object.keys(fromPth)) {
      assert.equal(out[k].dtype, fromPth[k].dtype, k);
      assert.deepEqual(new Uint8Array(out[k].dataSync().buffer), new Uint8Array(fromPth[k].dataSync().buffer), k);
    }
    assert.deepEqual(interop.readSafetensorsHeader(new Uint8Array(readFileSync(join(dir, 'sd.safetensors')))).metadata, { format: 'pt' });
    tf.dispose([...Object.values(out), ...Object.values(fromPth)]);
  });

  const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { timeout: 60_000 }).status === 0;
  it(
    'PyTorch reads the --to file and finds torch.load’s tensors',
    { skip: torchAvailable ? false : 'needs /usr/bin/python3 with torch' },
    () => {
      const script = `
import json, struct, sys, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
dtypes = {'F32': torch.float32, 'I32': torch.int32}
ref = torch.load(sys.argv[2], map_location='cpu')
keys = [k for k in header if k != '__metadata__']
assert sorted(keys) == sorted(ref.keys()), 'keys differ'
for k in keys:
    e = header[k]
    b, end = e['data_offsets']
    t = torch.frombuffer(bytearray(raw[8 + n + b: 8 + n + end]), dtype=dtypes[e['dtype']]).reshape(e['shape'])
    assert torch.equal(t.to(ref[k].dtype), ref[k]), k
print(len(keys))
`;
      const r = spawnSync('/usr/bin/python3', ['-c', script, join(dir, 'sd.safetensors'), pth!], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '505');
    },
  );

  it('a checkpoint of another architecture is refused, naming a key and both shapes', async () => {
    await assert.rejects(
      quietly(() => convertCommand([pth!, '--to-tfjs', join(dir, 'wrong'), '--zoo', 'shufflenetv2:1.0x:aconC'])),
      /'[\w.]+': the state_dict has shape \[[\d,]+\] but layer '[\w./]+' \(\w+\) expects \[[\d,]+\]/,
    );
    await assert.rejects(
      quietly(() => convertCommand([pth!, '--to-tfjs', join(dir, 'wrong'), '--zoo', 'shufflenetv2:0.5x:metaAconC'])),
      /missing and \d+ unexpected keys/,
    );
  });
});

describe('acon inspect', { skip: !pth }, () => {
  it('lists the tensors with their stored dtypes and the 37 AconC layers with the activate-or-not summary (JSON)', async () => {
    const r = await acon(['inspect', pth!, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      format: string;
      tensors: { key: string; shape: number[]; dtype: string }[];
      aconLayers: { name: string; kind: string; channels: number; meanSharpness: number; linearFraction: number }[];
    };
    assert.equal(out.format, 'torch');
    assert.equal(out.tensors.length, 505);
    assert.deepEqual(out.tensors[0], { key: 'first_conv.0.weight', shape: [24, 3, 3, 3], dtype: 'F32' });
    assert.equal(out.tensors.find((t) => t.key.endsWith('num_batches_tracked'))!.dtype, 'I64');
    assert.equal(out.aconLayers.length, 37);
    assert.deepEqual(out.aconLayers[0].name, 'first_conv.2');
    assert.ok(out.aconLayers.every((l) => l.kind === 'AconC'));
    assert.equal(out.aconLayers.at(-1)!.channels, 1024);
    for (const l of out.aconLayers)
      assert.ok(l.meanSharpness > 0 && l.meanSharpness < 1 && l.linearFraction >= 0 && l.linearFraction <= 1, l.name);
  });

  it('the table names the layers; a legacy or corrupt file is a clear error', async () => {
    const r = await acon(['inspect', pth!, '--acon-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ACON layers: 37\n/);
    assert.match(r.stdout, /^conv_last\.2 +AconC +1024 /m);
    const dir = mkdtempSync(join(tmpdir(), 'acon-inspect-'));
    const legacy = join(dir, 'legacy.pth');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(legacy, Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    const bad = await acon(['inspect', legacy]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /legacy \(pre-1\.6\) torch\.save format.*_use_new_zipfile_serialization=True/);
  });
});

describe('acon convert and inspect on a model built here', () => {
  before(() => useBackend('cpu'));
  it('a tfjs model directory → safetensors equals exportTorchStateDict; inspect finds AconA/AconB/AconC/MetaAconC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acon-convert-tiny-'));
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3, inputShape: [6, 6, 2] }),
        layers.aconA({ name: 'a' }),
        layers.aconB({ name: 'b' }),
        layers.aconC({ name: 'blocks/0/act', preset: 'relu-like' }),
        layers.metaAconC({ name: 'meta', r: 2 }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ name: 'fc', units: 3 }),
      ],
    });
    await saveModel(model, join(dir, 'tfjs'));
    const { code } = await quietly(() => convertCommand([join(dir, 'tfjs'), '--to', join(dir, 'out.safetensors')]));
    assert.equal(code, 0);
    const expected = interop.writeSafetensors(interop.exportTorchStateDict(model), { format: 'pt' });
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out.safetensors'))), expected);
    const sd = readSafetensorsFile(join(dir, 'out.safetensors'));
    const found = aconLayersOf(sd);
    assert.deepEqual(
      found.map((l) => [l.name, l.kind, l.p1.length]),
      [
        ['a', 'AconA', 4],
        ['b', 'AconB', 4],
        ['blocks.0.act', 'AconC', 4],
        ['meta', 'MetaAconC', 4],
      ],
    );
    assert.deepEqual(found[2].beta, [10, 10, 10, 10]);
    tf.dispose(Object.values(sd));
  });

  it('zoo specs: presets, custom ResNet layers, classes; bad specs name the field', () => {
    assert.equal(parseZooSpec('resnet:50:metaAconC').description, 'ResNet bottleneck [3,4,6,3] metaAconC, 1000 classes');
    assert.equal(parseZooSpec('resnet:bottleneck-1,1,1,1:metaAconC:10').description, 'ResNet bottleneck [1,1,1,1] metaAconC, 10 classes');
    assert.equal(parseZooSpec('shufflenetv2:1.5x:relu').description, 'ShuffleNetV2 1.5x relu, 1000 classes');
    assert.throws(() => parseZooSpec('shufflenetv2:0.7x:aconC'), /size must be one of 0\.5x, 1\.0x, 1\.5x, 2\.0x, got '0\.7x'/);
    assert.throws(() => parseZooSpec('resnet:51:aconC'), /depth must be one of 18, 34, 50, 101, 152/);
    assert.throws(() => parseZooSpec('resnet:50:swish'), /activation must be one of relu, aconC, metaAconC, got 'swish'/);
    assert.throws(() => parseZooSpec('vgg:16:relu'), /family must be shufflenetv2 or resnet/);
    assert.throws(() => parseZooSpec('resnet:50:relu:0'), /classes must be a positive integer, got '0'/);
  });

  it('usage errors exit with 2', async () => {
    const r = await acon(['convert', 'x.pth', '--to-tfjs', 'out']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--to-tfjs needs --zoo SPEC/);
  });
});
