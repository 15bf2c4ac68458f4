/**
 * The checkpoint files `acon convert` and `acon inspect` read: a PyTorch `.pth` (zip), a
 * `.safetensors` file, or a tfjs model directory (model.json + weights.bin, exported to PyTorch
 * names), told apart by content rather than by extension.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { StoredDtype } from '../interop/dtypes.js';
import { readSafetensorsFile, readSafetensorsFileHeader } from '../interop/safetensors_file.js';
import { exportTorchStateDict } from '../interop/state_dict.js';
import { readTorchCheckpointEntries } from '../interop/torch_checkpoint.js';
import { loadModel } from '../node/model_files.js';
// Registers the zoo's layer classes, which loading a tfjs model directory looks up by name.
import '../zoo/index.js';
import type { FlagSpec } from './args.js';

export type CheckpointFormat = 'torch' | 'safetensors' | 'tfjs';

export interface CheckpointTensor {
  key: string;
  /** The element type as stored in the file (tensors themselves are float32, int32 or bool). */
  dtype: StoredDtype;
  shape: number[];
  tensor: tf.Tensor;
}

export interface Checkpoint {
  format: CheckpointFormat;
  tensors: CheckpointTensor[];
}

function firstBytes(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = new Uint8Array(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

export async function readCheckpoint(path: string, options: { stripPrefix?: string } = {}): Promise<Checkpoint> {
  const strip = (key: string) => (options.stripPrefix && key.startsWith(options.stripPrefix) ? key.slice(options.stripPrefix.length) : key);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`${path}: no such file or directory`);
  }
  if (stat.isDirectory()) {
    const model = await loadModel(path).catch((e: Error) => {
      throw new Error(`${path}: a directory, but not a tfjs model (${join(path, 'model.json')}): ${e.message}`);
    });
    const sd = exportTorchStateDict(model);
    model.dispose();
    return {
      format: 'tfjs',
      tensors: Object.entries(sd).map(([key, tensor]) => ({
        key: strip(key),
        dtype: tensor.dtype === 'int32' ? 'I32' : 'F32',
        shape: tensor.shape,
        tensor,
      })),
    };
  }
  const head = firstBytes(path, 4);
  if (head[0] === 0x50 && head[1] === 0x4b) {
    const entries = await readTorchCheckpointEntries(new Uint8Array(readFileSync(path)), options);
    return { format: 'torch', tensors: entries };
  }
  if (head[0] === 0x80) await readTorchCheckpointEntries(head); // the legacy-format error, with its advice
  const header = readSafetensorsFileHeader(path);
  const tensors = readSafetensorsFile(path);
  return {
    format: 'safetensors',
    tensors: header.entries.map((e) => ({ key: strip(e.key), dtype: e.dtype, shape: e.shape, tensor: tensors[e.key] })),
  };
}

export function stateDictOf(c: Checkpoint): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const t of c.tensors) {
    if (out[t.key]) throw new Error(`two tensors are named '${t.key}' after removing the prefix`);
    out[t.key] = t.tensor;
  }
  return out;
}

export function disposeCheckpoint(c: Checkpoint): void {
  for (const t of c.tensors) t.tensor.dispose();
}

/**
 * Splits the positional arguments (file names) from the flags, for the flag parser, which takes
 * flags only: an argument not starting with `--` is positional unless it is the value of the flag before it.
 */
export function splitPositionals(argv: string[], specs: FlagSpec[]): { positionals: string[]; flags: string[] } {
  const takesValue = new Set(specs.filter((s) => s.kind !== 'bool').map((s) => s.name));
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) positionals.push(a);
    else {
      flags.push(a);
      if (!a.includes('=') && takesValue.has(a.slice(2)) && i + 1 < argv.length) flags.push(argv[++i]);
    }
  }
  return { positionals, flags };
}
