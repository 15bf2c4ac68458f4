/**
 * The ACON layers of a PyTorch-named state_dict (`acon inspect`, the explorer's .safetensors view),
 * recognised by their parameter names: `p1`, `p2`, `beta` → ACON-C; `p`, `beta` → ACON-B; `beta`
 * alone → ACON-A; `p1`, `p2`, `fc1.weight` … → Meta-ACON (channel). Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationLayerRecord } from '../results/schema.js';

/** The ACON modules of a state_dict, recognised by their parameter names, in the order they appear. */
export function aconLayersOf(tensors: Record<string, tf.Tensor>): ActivationLayerRecord[] {
  const has = (k: string) => k in tensors;
  const v = (k: string) => Array.from(tensors[k].dataSync());
  const join = (m: string, p: string) => (m ? `${m}.${p}` : p);
  const seen = new Set<string>();
  const out: ActivationLayerRecord[] = [];
  for (const key of Object.keys(tensors)) {
    const m = /^(?:(.*)\.)?(p1|p|beta)$/.exec(key);
    if (!m) continue;
    const name = m[1] ?? '';
    if (seen.has(name)) continue;
    const base = { name, index: out.length };
    let record: ActivationLayerRecord | undefined;
    if (has(join(name, 'p1')) && has(join(name, 'p2')) && has(join(name, 'fc1.weight'))) {
      const p1 = v(join(name, 'p1'));
      record = { ...base, kind: 'MetaAconC', granularity: 'channel', p1, p2: v(join(name, 'p2')), beta: p1.map(() => NaN) };
    } else if (has(join(name, 'p1')) && has(join(name, 'p2')) && has(join(name, 'beta')))
      record = { ...base, kind: 'AconC', p1: v(join(name, 'p1')), p2: v(join(name, 'p2')), beta: v(join(name, 'beta')) };
    else if (has(join(name, 'p')) && has(join(name, 'beta'))) {
      const beta = v(join(name, 'beta'));
      record = { ...base, kind: 'AconB', p1: beta.map(() => 1), p2: v(join(name, 'p')), beta };
    } else if (m[2] === 'beta' && !has(join(name, 'weight')) && !has(join(name, 'p1')) && !has(join(name, 'p'))) {
      const beta = v(key);
      record = { ...base, kind: 'AconA', p1: beta.map(() => 1), p2: beta.map(() => 0), beta };
    }
    if (record) {
      seen.add(name);
      out.push(record);
    }
  }
  return out;
}
