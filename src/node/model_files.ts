/**
 * Saving and loading a tfjs LayersModel in a directory (`model.json` + its weights file, the
 * layout of tfjs's `file://` handler) without tfjs-node.
 *
 * Saving replaces the pair atomically: the weights go to a file named by their content,
 * `weights-<sha256 prefix>.bin`, then `model.json` (which names it) is replaced atomically, and
 * only then are weight files it no longer names removed. A crash at any point leaves a
 * `model.json` whose weights file is there: the old pair or the new one.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from '../util/atomic_file.js';
// Registers acon's layer classes, which loading looks up by class name.
import '../layers/index.js';

/** Weight files this module writes (and the `weights.bin` of older versions). */
const WEIGHTS_FILE = /^weights(-[0-9a-f]+)?\.bin$/;

export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data =
        a.weightData === undefined
          ? new Uint8Array(0)
          : new Uint8Array(tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer | ArrayBuffer[]));
      const weightsName = `weights-${createHash('sha256').update(data).digest('hex').slice(0, 16)}.bin`;
      writeFileAtomic(join(dir, weightsName), data);
      const json = {
        modelTopology: a.modelTopology,
        format: 'layers-model',
        generatedBy: 'acon',
        convertedBy: null,
        weightsManifest: [{ paths: [weightsName], weights: a.weightSpecs }],
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      for (const name of readdirSync(dir)) if (WEIGHTS_FILE.test(name) && name !== weightsName) rmSync(join(dir, name), { force: true });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

/** Bytes of one manifest entry in its weights file (quantized entries by their stored dtype). */
function entryBytes(w: tf.io.WeightsManifestEntry, file: string): number {
  const dtype = w.quantization?.dtype ?? w.dtype;
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) throw new Error(`${file}: weight '${w.name}' has dtype '${dtype}', which acon cannot size`);
  return size * w.shape.reduce((a, b) => a * b, 1);
}

/** The bytes of `path`, with an error naming it (and `file`, which refers to it) when it cannot be read. */
function readWeights(path: string, file: string): Buffer {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new Error(`${path}: cannot read the weights named in ${file} (${(e as Error).message})`);
  }
  if (isDir) throw new Error(`${path} is a directory, not the weights file named in ${file}`);
  return readFileSync(path);
}

export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const file = join(dir, 'model.json');
  let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    if (statSync(file).isDirectory()) throw new Error('it is a directory, not a file');
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read a model (${(e as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new Error(`${file}: not a tfjs layers model (needs modelTopology and weightsManifest)`);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => {
    const files = g.paths.map((p) => ({ path: join(dir, p), bytes: readWeights(join(dir, p), file) }));
    const expected = g.weights.reduce((s, w) => s + entryBytes(w, file), 0);
    const actual = files.reduce((s, f) => s + f.bytes.length, 0);
    if (actual !== expected) {
      const names = files.map((f) => `${f.path} (${f.bytes.length} bytes)`).join(' + ');
      throw new Error(
        `${names}: ${actual < expected ? 'too short' : 'too long'}: ${file} lists weights of ${expected} bytes, the file${files.length > 1 ? 's hold' : ' holds'} ${actual}`,
      );
    }
    return files.map(({ bytes: b }) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  });
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers) }),
  );
}
