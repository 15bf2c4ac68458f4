/** The Python with PyTorch that the torch tests spawn, and running the twin's predict module on it. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile } from '../../src/interop/safetensors_file.js';
import { writeSafetensors } from '../../src/interop/safetensors.js';
import { writeFileAtomic } from '../../src/util/atomic_file.js';
import { findTorchPython, PYTHON_PACKAGE_DIR, type TorchPython } from '../../src/cli/torch_engine.js';

/**
 * The python to use, or why there is none. Without torch the tests skip with that reason, except
 * under CI (which installs python3-torch), where a missing torch is a failure.
 */
export function torchPythonOrSkip(): { python?: TorchPython; skip: string | false } {
  try {
    return { python: findTorchPython(), skip: false };
  } catch (e) {
    if (process.env.CI) throw e;
    const reason = `skipped: no Python with PyTorch (${(e as Error).message})`;
    console.log(reason);
    return { skip: reason };
  }
}

export interface TwinOptions {
  model: string;
  activation: string;
  repeats?: number[];
  width?: number;
}

/** Logits `[N,10]` of the PyTorch twin with `weightsFile` on `xNhwc` (transposed to NCHW for it). */
export function twinLogits(python: string, dir: string, twin: TwinOptions, weightsFile: string, xNhwc: tf.Tensor4D): tf.Tensor2D {
  const input = join(dir, 'x.safetensors'),
    output = join(dir, 'logits.safetensors');
  const nchw = tf.transpose(xNhwc, [0, 3, 1, 2]);
  writeFileAtomic(input, writeSafetensors({ x: nchw }));
  nchw.dispose();
  const args = ['-m', 'acon_torch.predict', '--model', twin.model, '--activation', twin.activation, '--weights', weightsFile];
  if (twin.repeats) args.push('--repeats', twin.repeats.join(','));
  if (twin.width !== undefined) args.push('--width', String(twin.width));
  execFileSync(python, [...args, '--input', input, '--output', output], {
    env: { ...process.env, PYTHONPATH: PYTHON_PACKAGE_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { logits } = readSafetensorsFile(output);
  return logits as tf.Tensor2D;
}

/** max |a − b| / max |a|. */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0]);
}
