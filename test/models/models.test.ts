/** The experiment networks: output shapes, parameter counts, activation placement, seeded init, save/load. */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel, countMacs, parseActivation, formatActivation } from '../../src/models/index.js';
import { createModel } from '../../src/models/factory.js';
import { useBackend } from '../helpers/backends.js';

const classes = (m: tfl.LayersModel) => m.layers.map((l) => l.getClassName());
const count = (m: tfl.LayersModel, cls: string) => classes(m).filter((c) => c === cls).length;
const channelsOf = (l: tfl.layers.Layer) => (l.outputShape as number[]).at(-1)!;

describe('models', () => {
  before(() => useBackend('cpu'));

  it('ShuffleNetV2: logits [N,10]; every activation is the one under study (stem, block 1×1s, projection, last conv)', () => {
    const relu = buildModel({ model: 'shufflenet', activation: { kind: 'relu' } });
    const acon = buildModel({ model: 'shufflenet', activation: { kind: 'aconC' } });
    const y = acon.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor;
    assert.deepEqual(y.shape, [3, 10]);
    // stem + last + per stage: stride-2 block 3 (two in the main branch, one in the projection) + 2 per stride-1 block
    const expected = 2 + [4, 8, 4].reduce((a, r) => a + 3 + 2 * (r - 1), 0);
    assert.equal(count(acon, 'AconC'), expected);
    assert.equal(count(acon, 'ReLU'), 0);
    assert.equal(count(relu, 'ReLU'), expected);
    const aconChannels = acon.layers.filter((l) => l.getClassName() === 'AconC').reduce((a, l) => a + channelsOf(l), 0);
    assert.equal(acon.countParams() - relu.countParams(), 3 * aconChannels, 'ACON-C adds p1, p2, β per channel');
    assert.equal(countMacs(acon), countMacs(relu));
    assert.ok(countMacs(relu) > 1e6 && countMacs(relu) < 5e7, `MACs ${countMacs(relu)}`);
    assert.ok(classes(acon).includes('ChannelShuffleSplit') && classes(acon).includes('DepthwiseConv2D'));
  });

  it('ResNet: only the activation after each bottleneck 3×3 conv is the one under study', () => {
    const m = buildModel({ model: 'resnet', activation: { kind: 'metaAconC' } });
    assert.deepEqual((m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape, [2, 10]);
    assert.equal(count(m, 'MetaAconC'), 6);
    assert.equal(count(m, 'ReLU'), 1 + 2 * 6);
    for (const l of m.layers.filter((x) => x.getClassName() === 'MetaAconC')) {
      const inbound = (l as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes[0].inboundLayers[0];
      assert.match(inbound.name, /\/bn2$/, `${l.name} follows the 3×3 conv's BN`);
    }
  });

  it('activation specs parse, and unknown ones give an error listing the accepted ones', () => {
    assert.deepEqual(parseActivation('metaAconC:pixel'), { kind: 'metaAconC', granularity: 'pixel' });
    assert.equal(formatActivation(parseActivation('metaAconC:channel')), 'metaAconC');
    assert.throws(() => parseActivation('gelu'), /unknown activation 'gelu'; expected one of relu, swish, aconA, aconB, aconC, metaAconC/);
    assert.throws(() => parseActivation('aconC:pixel'), /unknown activation 'aconC:pixel'/);
  });

  it('the factory is reproducible per seed and its models save and load', async () => {
    const opts = { model: 'shufflenet' as const, activation: 'metaAconC', repeats: [1, 1, 1], seed: 5 };
    const a = createModel(opts),
      b = createModel(opts),
      c = createModel({ ...opts, seed: 6 });
    const flat = (m: tfl.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    assert.deepEqual(flat(a), flat(b));
    assert.notDeepEqual(flat(a), flat(c));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await a.save(
      tf.io.withSaveHandler(async (x) => {
        artifacts = x;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((a.predict(x) as tf.Tensor).dataSync()));
  });
});
