/**
 * loadTorchStateDict / exportTorchStateDict: the official-module network of ../shared/interop/
 * tiny_acon_net_seed7 reproduces PyTorch's logits on every backend, the layouts of each layer
 * class, strictness, mappings, and bit-identical round trips.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { interop, layers } from '../../src/index.js';
import { readSafetensorsFile } from '../../src/entry_node.js';
import { TORCH_WEIGHT_ORDER, torchParams } from '../../src/interop/state_dict.js';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert_close.js';
import { toNhwc } from '../helpers/golden.js';
import { sharedFile } from './fixtures.js';

const { loadTorchStateDict, exportTorchStateDict, writeSafetensors, readSafetensors } = interop;

function dispose(ts: Record<string, tf.Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

/** The tiny net of tiny_acon_net_seed7.json, channels last, layers named as the PyTorch modules. */
function tinyAconNet(batchNorm: 'torch' | 'tfjs'): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 1] });
  let x = tfl.layers.conv2d({ name: 'conv1', filters: 8, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  x = layers.aconC({ name: 'act1' }).apply(x) as tfl.SymbolicTensor;
  // PyTorch's padding=1 pads every side; tfjs 'same' with stride 2 on an even size pads only bottom/right.
  x = tfl.layers.zeroPadding2d({ name: 'pad2', padding: 1 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, strides: 2, useBias: false }).apply(x) as tfl.SymbolicTensor;
  const bn = batchNorm === 'torch' ? layers.torchBatchNorm({ name: 'bn2' }) : tfl.layers.batchNormalization({ name: 'bn2', epsilon: 1e-5 });
  x = bn.apply(x) as tfl.SymbolicTensor;
  x = layers.metaAconC({ name: 'act2', r: 4 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ name: 'fc', units: 10 }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const stPath = sharedFile('tiny_acon_net_seed7.safetensors');
const jsonPath = sharedFile('tiny_acon_net_seed7.json');

for (const backend of BACKENDS) {
  describe(
    `loadTorchStateDict on ${backend}: the tiny official-module net gives PyTorch's eval-mode logits`,
    { skip: !(stPath && jsonPath) },
    () => {
      before(() => useBackend(backend));
      for (const bn of ['torch', 'tfjs'] as const) {
        it(`with ${bn === 'torch' ? 'TorchBatchNorm' : "tfjs's BatchNormalization (epsilon 1e-5)"}`, () => {
          const ref = JSON.parse(readFileSync(jsonPath!, 'utf8')) as {
            x: { shape: number[]; data: number[] };
            logits: { shape: number[]; data: number[] };
            state_dict_keys: Record<string, number[]>;
          };
          const sd = readSafetensorsFile(stPath!);
          const model = tinyAconNet(bn);
          const warnings: string[] = [];
          const result = loadTorchStateDict(model, sd, { warn: (m) => warnings.push(m) });
          assert.deepEqual([...result.loaded].sort(), Object.keys(ref.state_dict_keys).sort());
          assert.deepEqual(result.missing, []);
          assert.deepEqual(result.unexpected, []);
          assert.deepEqual(warnings, []);
          const x = toNhwc(ref.x);
          const logits = tf.tidy(() => model.predict(tf.tensor(x.data, x.shape)) as tf.Tensor);
          assert.deepEqual(logits.shape, ref.logits.shape);
          const scale = Math.max(...ref.logits.data.map(Math.abs));
          assertClose(logits.dataSync(), ref.logits.data, 'logits', { rtol: 0, atol: 1e-4 * scale });
          // export is the exact inverse: the same bits as the file, under the same names
          const exported = exportTorchStateDict(model);
          assert.deepEqual(Object.keys(exported).sort(), Object.keys(sd).sort());
          for (const k of Object.keys(sd)) {
            assert.deepEqual(exported[k].shape, sd[k].shape, k);
            assert.deepEqual(new Uint8Array(exported[k].dataSync().buffer), new Uint8Array(sd[k].dataSync().buffer), k);
          }
          const written = writeSafetensors(exported);
          const back = readSafetensors(written);
          assert.deepEqual(writeSafetensors(back), written, 'export → write → read → write is bit-identical');
          // a model loaded from the exported state_dict exports the same bytes again
          const again = tinyAconNet(bn);
          loadTorchStateDict(again, back);
          assert.deepEqual(writeSafetensors(exportTorchStateDict(again)), written);
          tf.dispose([logits]);
          dispose(sd);
          dispose(exported);
          dispose(back);
        });
      }
    },
  );
}

function values(t: tf.Tensor | tfl.LayerVariable): number[] {
  return Array.from(('read' in t ? t.read() : t).dataSync());
}

describe('layouts of each layer class', () => {
  before(() => useBackend('cpu'));

  it('Conv2D: OIHW → HWIO; Dense: [out,in] → [in,out]', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ name: 'c', filters: 2, kernelSize: [1, 2], inputShape: [1, 2, 1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ name: 'd', units: 3 }),
      ],
    });
    const sd = {
      'c.weight': tf.tensor([0, 1, 2, 3], [2, 1, 1, 2]),
      'c.bias': tf.tensor([5, 6]),
      'd.weight': tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]),
      'd.bias': tf.tensor([0, 0, 0]),
    };
    loadTorchStateDict(model, sd);
    // kernel[h][w][i][o] = weight[o][i][h][w]
    assert.deepEqual(values(model.getLayer('c').weights[0]), [0, 2, 1, 3]);
    assert.deepEqual(values(model.getLayer('d').weights[0]), [1, 3, 5, 2, 4, 6]);
    dispose(sd);
  });

  it('DepthwiseConv2D with channel multiplier 2: [C·m,1,kh,kw] → [kh,kw,C,m], output channel c·m + j as in PyTorch groups=C', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.depthwiseConv2d({ name: 'dw', kernelSize: [1, 2], depthMultiplier: 2, useBias: false, inputShape: [1, 2, 2] })],
    });
    // torch weight[k, 0, 0, w] for output channel k = c·2 + j: 10k + w
    const sd = { 'dw.weight': tf.tensor([0, 1, 10, 11, 20, 21, 30, 31], [4, 1, 1, 2]) };
    loadTorchStateDict(model, sd);
    // input pixel w=0: channels (1, 100); w=1: (2, 200) → out_k = Σ_w x[w, c(k)]·weight[k, w]
    const y = model.predict(tf.tensor([1, 100, 2, 200], [1, 1, 2, 2])) as tf.Tensor;
    assert.deepEqual(values(y), [0 * 1 + 1 * 2, 10 * 1 + 11 * 2, 20 * 100 + 21 * 200, 30 * 100 + 31 * 200]);
    const back = exportTorchStateDict(model);
    assert.deepEqual(back['dw.weight'].shape, [4, 1, 1, 2]);
    assert.deepEqual(values(back['dw.weight']), values(sd['dw.weight']));
    tf.dispose([y]);
    dispose(sd);
    dispose(back);
  });

  it('ACON layers and MetaAconC: the keys of torchParams are TORCH_WEIGHT_ORDER, shapes [1,C,1,1] and [h,C,1,1]', () => {
    const cases: [keyof typeof TORCH_WEIGHT_ORDER, tfl.layers.Layer][] = [
      ['AconA', layers.aconA()],
      ['AconB', layers.aconB()],
      ['AconC', layers.aconC()],
      ['MetaAconC', layers.metaAconC({ r: 4 })],
    ];
    for (const [name, layer] of cases) {
      layer.build([null, 4, 4, 16]);
      const params = torchParams(layer);
      assert.deepEqual(
        params.map((p) => p.key),
        TORCH_WEIGHT_ORDER[name],
        name,
      );
      assert.deepEqual(params[0].torchShape, [1, 16, 1, 1], name);
      if (name === 'MetaAconC') {
        assert.deepEqual(params.find((p) => p.key === 'fc1.weight')!.torchShape, [4, 16, 1, 1]);
        assert.deepEqual(params.find((p) => p.key === 'fc2.weight')!.torchShape, [16, 4, 1, 1]);
      }
    }
  });

  it('ACON parameters saved as [C] or [1,C] load too; another channel count does not', () => {
    const model = tfl.sequential({ layers: [layers.aconA({ name: 'a', inputShape: [3] })] });
    for (const shape of [[3], [1, 3], [1, 3, 1, 1]]) {
      const sd = { 'a.beta': tf.tensor([1, 2, 3], shape) };
      loadTorchStateDict(model, sd);
      assert.deepEqual(values(model.layers[0].weights[0]), [1, 2, 3]);
      dispose(sd);
    }
    const bad = { 'a.beta': tf.tensor([1, 2, 3, 4], [1, 4, 1, 1]) };
    assert.throws(
      () => loadTorchStateDict(model, bad),
      /'a\.beta': the state_dict has shape \[1,4,1,1\] but layer 'a' \(AconA\) expects \[1,3,1,1\]/,
    );
    dispose(bad);
  });
});

describe('loadTorchStateDict: keys, strictness, mapping', () => {
  before(() => useBackend('cpu'));
  const net = () =>
    tfl.sequential({
      layers: [
        tfl.layers.dense({ name: 'features/0', units: 2, inputShape: [2] }),
        tfl.layers.batchNormalization({ name: 'features/1', epsilon: 1e-5 }),
        tfl.layers.dense({ name: 'head', units: 1, useBias: false }),
      ],
    });
  const stateDict = () => ({
    'features.0.weight': tf.tensor([
      [1, 2],
      [3, 4],
    ]),
    'features.0.bias': tf.tensor([0.5, -0.5]),
    'features.1.weight': tf.tensor([1, 1]),
    'features.1.bias': tf.tensor([0, 0]),
    'features.1.running_mean': tf.tensor([0.1, 0.2]),
    'features.1.running_var': tf.tensor([2, 3]),
    'features.1.num_batches_tracked': tf.scalar(100, 'int32'),
    'head.weight': tf.tensor([[7, 8]]),
  });

  it("the default mapping is the layer name with '/' → '.'; num_batches_tracked is accepted and ignored", () => {
    const model = net();
    const sd = stateDict();
    const r = loadTorchStateDict(model, sd);
    assert.equal(r.loaded.length, 7);
    assert.deepEqual([r.missing, r.unexpected], [[], []]);
    assert.deepEqual(values(model.getLayer('features/1').weights[3]), [2, 3]);
    assert.deepEqual(values(model.getLayer('head').weights[0]), [7, 8]);
    dispose(sd);
  });

  it('strict (default) lists missing and unexpected keys and loads nothing; strict: false loads the rest', () => {
    const model = net();
    const before = values(model.getLayer('features/0').weights[0]);
    const sd = stateDict();
    sd['head.weight'].dispose();
    delete (sd as Record<string, tf.Tensor>)['head.weight'];
    (sd as Record<string, tf.Tensor>)['extra.weight'] = tf.tensor([1]);
    assert.throws(
      () => loadTorchStateDict(model, sd),
      /1 missing and 1 unexpected keys \(nothing was loaded\)\n {2}missing: head\.weight\n {2}unexpected: extra\.weight/,
    );
    assert.deepEqual(values(model.getLayer('features/0').weights[0]), before, 'unchanged after a failed load');
    const r = loadTorchStateDict(model, sd, { strict: false });
    assert.deepEqual([r.missing, r.unexpected], [['head.weight'], ['extra.weight']]);
    assert.deepEqual(values(model.getLayer('features/0').weights[0]), [1, 3, 2, 4]);
    dispose(sd);
  });

  it('a shape mismatch names the key, both shapes and the layer, and loads nothing', () => {
    const model = net();
    const sd = stateDict();
    sd['head.weight'].dispose();
    sd['head.weight'] = tf.tensor([[7, 8, 9]]);
    assert.throws(
      () => loadTorchStateDict(model, sd, { strict: false }),
      /'head\.weight': the state_dict has shape \[1,3\] but layer 'head' \(Dense\) expects \[1,2\]/,
    );
    dispose(sd);
  });

  it('mapping as a record or a function; export uses it too', () => {
    const sd = stateDict();
    const renamed: Record<string, tf.Tensor> = Object.fromEntries(
      Object.entries(sd).map(([k, v]) => [k.replace(/^head\./, 'classifier.1.'), v]),
    );
    for (const mapping of [{ head: 'classifier.1' }, (name: string) => (name === 'head' ? 'classifier.1' : undefined)]) {
      const model = net();
      const r = loadTorchStateDict(model, renamed, { mapping });
      assert.ok(r.loaded.includes('classifier.1.weight'));
      const out = exportTorchStateDict(model, { mapping });
      assert.deepEqual(
        Object.keys(out).sort(),
        Object.keys(renamed)
          .filter((k) => !k.endsWith('num_batches_tracked'))
          .sort(),
      );
      dispose(out);
    }
    dispose(sd);
  });

  it("warns when a tfjs BatchNormalization's epsilon is not PyTorch's 1e-5", () => {
    const model = tfl.sequential({ layers: [tfl.layers.batchNormalization({ name: 'bn', inputShape: [2] })] });
    const sd = {
      'bn.weight': tf.tensor([1, 1]),
      'bn.bias': tf.tensor([0, 0]),
      'bn.running_mean': tf.tensor([0, 0]),
      'bn.running_var': tf.tensor([1, 1]),
    };
    const warnings: string[] = [];
    loadTorchStateDict(model, sd, { warn: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /eps = 1e-5 .* 'bn' \(0\.001\)/);
    dispose(sd);
  });

  it('includeNumBatchesTracked adds an int32 0 beside each running_var; a layer without a PyTorch layout is named', () => {
    const model = net();
    const out = exportTorchStateDict(model, { includeNumBatchesTracked: true });
    assert.equal(out['features.1.num_batches_tracked'].dtype, 'int32');
    assert.deepEqual(values(out['features.1.num_batches_tracked']), [0]);
    assert.deepEqual(
      Object.keys(out).filter((k) => k.endsWith('num_batches_tracked')),
      ['features.1.num_batches_tracked'],
    );
    dispose(out);
    const odd = tfl.sequential({ layers: [tfl.layers.separableConv2d({ name: 'sep', filters: 2, kernelSize: 1, inputShape: [2, 2, 2] })] });
    assert.throws(() => exportTorchStateDict(odd), /layer 'sep' \(SeparableConv2D\) has weights but no known PyTorch layout/);
  });
});
