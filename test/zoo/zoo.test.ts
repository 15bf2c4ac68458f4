/**
 * The zoo's architectures: parameter counts and state_dict keys/shapes of the official models for
 * every size and variant, PyTorch's padding and max-pool semantics, and the option checks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { zoo } from '../../src/index.js';
import { torchParams } from '../../src/interop/state_dict.js';
import { conv2d } from '../../src/zoo/torch_modules.js';
import { BACKENDS, useBackend } from '../helpers/backends.js';

/**
 * [parameters, BatchNorm running statistics] of the official PyTorch models, as
 * `/usr/bin/python3 test/zoo/official_structure.py` computes them (torch 1.13). The basic-block
 * Meta-ACON ResNets (18, 34) follow the same rule; the official code has no such block.
 */
const OFFICIAL: Record<string, [number, number]> = {
  'shufflenetv2_0.5x_relu': [1365792, 7952],
  'shufflenetv2_0.5x_aconC': [1379600, 7952],
  'shufflenetv2_0.5x_metaAconC': [1686620, 14744],
  'shufflenetv2_1.0x_relu': [2278760, 16180],
  'shufflenetv2_1.0x_aconC': [2304740, 16180],
  'shufflenetv2_1.0x_metaAconC': [2596384, 28720],
  'shufflenetv2_1.5x_relu': [3506720, 23440],
  'shufflenetv2_1.5x_aconC': [3543440, 23440],
  'shufflenetv2_1.5x_metaAconC': [3953842, 40828],
  'shufflenetv2_2.0x_relu': [7402600, 33716],
  'shufflenetv2_2.0x_aconC': [7455588, 33716],
  'shufflenetv2_2.0x_metaAconC': [8437946, 58796],
  resnet18_relu: [11689512, 9600],
  resnet18_aconC: [11705832, 9600],
  resnet18_metaAconC: [11902888, 17920],
  resnet34_relu: [21797672, 17024],
  resnet34_aconC: [21828840, 17024],
  resnet34_metaAconC: [22185736, 33344],
  resnet50_relu: [25557032, 53120],
  resnet50_aconC: [25594920, 53120],
  resnet50_metaAconC: [25773368, 61280],
  resnet101_relu: [44549160, 105344],
  resnet101_aconC: [44626216, 105344],
  resnet101_metaAconC: [44953448, 122752],
  resnet152_relu: [60192808, 151424],
  resnet152_aconC: [60304424, 151424],
  resnet152_metaAconC: [60763032, 177056],
};

/** `shufflenetv2_<size>_<activation>` or `resnet<depth>_<activation>`. */
function build(variant: string): tfl.LayersModel {
  const parts = variant.split('_');
  const activation = parts.at(-1) as zoo.ZooActivation;
  if (parts[0] === 'shufflenetv2') return zoo.shuffleNetV2({ size: parts[1] as zoo.ShuffleNetV2Size, activation });
  return zoo.resnetPreset(Number(parts[0].slice('resnet'.length)) as zoo.ResNetDepth, { activation });
}

const count = (ws: tfl.LayerVariable[]) => ws.reduce((a, w) => a + w.shape.reduce((x, y) => x! * y!, 1)!, 0);

/** The official state_dict shapes from PyTorch, or undefined when no Python with torch is installed. */
function officialShapes(): Record<string, { shapes: Record<string, number[]> }> | undefined {
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import torch']).status !== 0) return undefined;
  const script = fileURLToPath(new URL('./official_structure.py', import.meta.url));
  const run = spawnSync(python, [script], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, `official_structure.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('zoo architectures', () => {
  before(() => useBackend('cpu'));

  it('every size and variant: parameter counts equal the official ones, and every weight has the official key and shape', (t) => {
    const official = officialShapes();
    if (!official) t.diagnostic('no /usr/bin/python3 with torch: keys and shapes not compared, counts only');
    for (const [variant, [params, buffers]] of Object.entries(OFFICIAL)) {
      const model = build(variant);
      assert.equal(count(model.trainableWeights), params, `${variant}: parameters`);
      assert.equal(count(model.nonTrainableWeights), buffers, `${variant}: running statistics`);
      if (official) {
        const expected = official[variant].shapes;
        const ours: Record<string, number[]> = {};
        for (const layer of model.layers) for (const p of torchParams(layer)) ours[`${layer.name}.${p.key}`] = p.torchShape;
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(expected).sort(), `${variant}: state_dict keys`);
        for (const [key, shape] of Object.entries(expected)) assert.deepEqual(ours[key], shape, `${variant}: shape of ${key}`);
      }
      model.dispose();
    }
  });

  it('biases and strides as the official code: ACON variants have conv biases, ReLU baselines none; the bottleneck stride sits on conv1 (ACON) or conv2 (torchvision)', () => {
    const strides = (m: tfl.LayersModel, name: string) => m.getLayer(name).getConfig().strides;
    const acon = zoo.resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], activation: 'aconC', numClasses: 10, inputSize: 64 });
    const relu = zoo.resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], activation: 'relu', numClasses: 10, inputSize: 64 });
    assert.deepEqual(
      [strides(acon, 'layer2.0.conv1'), strides(acon, 'layer2.0.conv2')],
      [
        [2, 2],
        [1, 1],
      ],
    );
    assert.deepEqual(
      [strides(relu, 'layer2.0.conv1'), strides(relu, 'layer2.0.conv2')],
      [
        [1, 1],
        [2, 2],
      ],
    );
    assert.equal(acon.getLayer('layer1.0.conv2').getConfig().useBias, true);
    assert.equal(relu.getLayer('layer1.0.conv2').getConfig().useBias, false);
    assert.deepEqual(
      acon.layers.filter((l) => l.getClassName() === 'AconC').map((l) => l.name),
      ['layer1.0.acon', 'layer2.0.acon', 'layer3.0.acon', 'layer4.0.acon'],
      'ACON only after each bottleneck 3×3 conv',
    );
    assert.deepEqual((acon.predict(tf.zeros([2, 64, 64, 3])) as tf.Tensor).shape, [2, 10]);
    const big = zoo.shuffleNetV2({ size: '2.0x', activation: 'relu', inputSize: 64 });
    assert.equal((big.getLayer('dropout').getConfig() as { rate: number }).rate, 0.2);
    assert.equal(big.getLayer('classifier.0').getConfig().useBias, false);
    assert.throws(() => zoo.shuffleNetV2({ size: '0.5x', activation: 'relu' }).getLayer('dropout'), /dropout/);
    const meta = zoo.shuffleNetV2({ size: '0.5x', activation: 'metaAconC', inputSize: 64, numClasses: 7 });
    assert.equal(meta.getLayer('features.0.branch_main.2').getConfig().r, 8, 'Meta-ACON r = 8 for 0.5x');
    assert.equal(zoo.shuffleNetV2({ size: '1.0x', activation: 'metaAconC', inputSize: 64 }).getLayer('conv_last.2').getConfig().r, 16);
    assert.deepEqual((meta.predict(tf.zeros([2, 64, 64, 3])) as tf.Tensor).shape, [2, 7]);
  });

  it('the options are checked and the errors name them', () => {
    assert.throws(
      () => zoo.shuffleNetV2({ size: '3.0x' as never, activation: 'relu' }),
      /shuffleNetV2: size must be one of 0.5x, 1.0x, 1.5x, 2.0x, got '3.0x'/,
    );
    assert.throws(
      () => zoo.shuffleNetV2({ size: '0.5x', activation: 'gelu' as never }),
      /shuffleNetV2: activation must be one of 'relu', 'aconC', 'metaAconC', got 'gelu'/,
    );
    assert.throws(
      () => zoo.shuffleNetV2({ size: '0.5x', activation: 'relu', inputSize: 100 }),
      /inputSize must be a positive multiple of 32, got 100/,
    );
    assert.throws(
      () => zoo.resnet({ block: 'basic', layers: [2, 2, 2], activation: 'relu' }),
      /resnet: layers must be 4 positive integers/,
    );
    assert.throws(
      () => zoo.resnet({ block: 'wide' as never, layers: [1, 1, 1, 1], activation: 'relu' }),
      /resnet: block must be 'basic' or 'bottleneck'/,
    );
    assert.throws(() => zoo.resnetPreset(42 as never, { activation: 'relu' }), /no preset for depth 42; presets are 18, 34, 50, 101, 152/);
  });

  for (const backend of BACKENDS) {
    describe(backend, () => {
      before(() => useBackend(backend));

      it('TorchMaxPool2d pads with −∞ (negative inputs keep their max), output ⌊(H + 2p − k)/s⌋ + 1, and round-trips its config', () => {
        const x = tf.neg(tf.add(tf.reshape(tf.range(0, 16), [1, 4, 4, 1]), 1)); // −1 … −16
        const pool = new zoo.TorchMaxPool2d({ kernelSize: 3, stride: 2, padding: 1 });
        const y = pool.apply(x) as tf.Tensor;
        assert.deepEqual(y.shape, [1, 2, 2, 1]);
        assert.deepEqual(Array.from(y.dataSync()), [-1, -2, -5, -6], 'zero padding would give 0s');
        assert.deepEqual(pool.computeOutputShape([null, 112, 112, 24]), [null, 56, 56, 24]);
        const copy = zoo.TorchMaxPool2d.fromConfig(zoo.TorchMaxPool2d, pool.getConfig()) as zoo.TorchMaxPool2d;
        assert.deepEqual([copy.kernelSize, copy.stride, copy.padding], [3, 2, 1]);
        assert.throws(() => new zoo.TorchMaxPool2d({ kernelSize: 3, padding: 2 }), /padding 2 must be at most half of kernelSize 3/);
      });

      it("a stride-2 conv pads symmetrically as PyTorch's padding=1 (tfjs 'same' would pad bottom/right only)", () => {
        const input = tfl.input({ shape: [4, 4, 1] });
        const out = conv2d(input, {
          name: 'c',
          filters: 1,
          kernelSize: 3,
          stride: 2,
          padding: 1,
          bias: false,
          kernelInitializer: tfl.initializers.ones(),
        });
        const model = tfl.model({ inputs: input, outputs: out });
        assert.deepEqual(
          model.layers.map((l) => l.getClassName()),
          ['InputLayer', 'ZeroPadding2D', 'Conv2D'],
        );
        // Sums of the 3×3 windows centred on (0,0), (0,2), (2,0), (2,2) of an all-ones 4×4 image.
        assert.deepEqual(Array.from((model.predict(tf.ones([1, 4, 4, 1])) as tf.Tensor).dataSync()), [4, 6, 6, 9]);
      });

      it('the channel shuffle sends the even channels through and the odd ones to branch_main, as the official channel_shuffle', () => {
        const m = zoo.shuffleNetV2({ size: '0.5x', activation: 'relu', inputSize: 64 });
        const shuffle = m.getLayer('features.1.channel_shuffle');
        const x = tf.reshape(tf.range(0, 8), [1, 1, 1, 8]);
        const [even, odd] = shuffle.apply(x) as tf.Tensor[];
        assert.deepEqual(Array.from(even.dataSync()), [0, 2, 4, 6]);
        assert.deepEqual(Array.from(odd.dataSync()), [1, 3, 5, 7]);
        const source = (layer: string) => {
          const node = m.getLayer(layer).inboundNodes[0];
          return [node.inboundLayers[0].name, node.tensorIndices[0]];
        };
        assert.deepEqual(source('features.1.cat'), ['features.1.channel_shuffle', 0], 'the even half is concatenated first');
        assert.deepEqual(source('features.1.branch_main.0'), ['features.1.channel_shuffle', 1]);
      });
    });
  }
});
