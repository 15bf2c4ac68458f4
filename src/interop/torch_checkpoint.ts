/**
 * PyTorch checkpoints in the zip format `torch.save` writes since 1.6: `<archive>/data.pkl` (the
 * pickled object, protocol 2), `<archive>/data/<key>` (one raw little-endian storage per key),
 * maybe `<archive>/byteorder` and `<archive>/version`. The pickle is read by the restricted
 * unpickler with only what a state_dict needs on its allow-list: `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`, the storage types, and the
 * persistent ids `('storage', storage_type, key, location, numel)`. Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { decodeTensor, elementCount, ITEM_SIZE, type StoredDtype } from './dtypes.js';
import { describe, unpickle, type PickleGlobal } from './pickle.js';
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** PyTorch's legacy typed storage classes, as pickled by `torch.save`, and their element types. */
export const TORCH_STORAGE_DTYPES: Record<string, StoredDtype> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** Where a training script may have put the state_dict, in the order they are tried. */
export const STATE_DICT_FIELDS = ['state_dict', 'model_state_dict', 'model'] as const;

export interface TorchCheckpointOptions {
  /** Remove this prefix from keys that have it (`true` = `'module.'`, the prefix of DataParallel). */
  stripPrefix?: string | true;
}

export interface TorchCheckpointEntry {
  key: string;
  /** Element type of the tensor's storage. */
  dtype: StoredDtype;
  shape: number[];
  tensor: tf.Tensor;
}

class StorageType implements PickleGlobal {
  readonly module = 'torch';
  constructor(
    readonly name: string,
    readonly dtype: StoredDtype,
  ) {}
}

interface Storage {
  dtype: StoredDtype;
  key: string;
  numel: number;
}

/** A tensor as `_rebuild_tensor_v2` describes it: a view (offset, shape, strides in elements) of a storage. */
class TensorView {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const LEGACY_ADVICE =
  'it is in the legacy (pre-1.6) torch.save format; convert it with PyTorch: ' +
  "python -c \"import torch; torch.save(torch.load('old.pth', map_location='cpu'), 'new.pth', _use_new_zipfile_serialization=True)\"";

function isIndexList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

function allowedGlobals(where: string): (module: string, name: string) => PickleGlobal | undefined {
  const fn = (module: string, name: string, call: (args: unknown[]) => unknown): PickleGlobal => ({ module, name, call });
  const rebuildTensor = fn('torch._utils', '_rebuild_tensor_v2', (args) => {
    const [storage, offset, shape, stride] = args;
    if (!(storage instanceof Object && 'numel' in storage) || !Number.isSafeInteger(offset) || !isIndexList(shape) || !isIndexList(stride))
      throw new Error(`${where}: _rebuild_tensor_v2 got unexpected arguments (${args.map(describe).join(', ')})`);
    if (shape.length !== stride.length) throw new Error(`${where}: tensor of shape [${shape}] has strides [${stride}] of another rank`);
    return new TensorView(storage as Storage, offset as number, shape, stride);
  });
  const rebuildParameter = (name: string) =>
    fn('torch._utils', name, (args) => {
      if (!(args[0] instanceof TensorView)) throw new Error(`${where}: ${name} of ${describe(args[0])}, not a tensor`);
      return args[0];
    });
  const table = new Map<string, PickleGlobal>([
    [
      'collections.OrderedDict',
      fn('collections', 'OrderedDict', (args) => {
        const m = new Map<unknown, unknown>();
        if (args.length && Array.isArray(args[0])) for (const pair of args[0] as unknown[][]) m.set(pair[0], pair[1]);
        return m;
      }),
    ],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_parameter', rebuildParameter('_rebuild_parameter')],
    ['torch._utils._rebuild_parameter_with_state', rebuildParameter('_rebuild_parameter_with_state')],
    ...Object.entries(TORCH_STORAGE_DTYPES).map(
      ([name, dtype]) => [`torch.${name}`, new StorageType(name, dtype)] as [string, PickleGlobal],
    ),
  ]);
  return (module, name) => table.get(`${module}.${name}`);
}

function refusalHint(module: string): string {
  if (module === '__main__' || module.startsWith('torch.nn') || module.startsWith('__torch__'))
    return ': the checkpoint pickles a whole module (torch.save(model) or TorchScript); save model.state_dict() instead';
  return ': a state_dict needs only OrderedDict, tensors and storages, and nothing else is loaded (nothing in the file is executed)';
}

/** The state_dict of the unpickled object: itself, or under `state_dict`, `model_state_dict` or `model`. */
function findStateDict(obj: unknown, where: string, path = '', seen = new Set<unknown>()): Map<string, TensorView> {
  if (!(obj instanceof Map))
    throw new Error(`${where}: the checkpoint${path} holds ${describe(obj)}, not a state_dict (a dict of tensors)`);
  if (seen.has(obj)) throw new Error(`${where}: the checkpoint${path} refers back to a dict that contains it`);
  seen.add(obj);
  const values = [...obj.values()];
  if (obj.size > 0 && values.every((v) => v instanceof TensorView)) {
    for (const k of obj.keys()) if (typeof k !== 'string') throw new Error(`${where}: state_dict key ${describe(k)} is not a string`);
    return obj as Map<string, TensorView>;
  }
  for (const field of STATE_DICT_FIELDS) if (obj.has(field)) return findStateDict(obj.get(field), where, `${path}['${field}']`, seen);
  const keys = [...obj.keys()].map((k) => String(k));
  const odd = [...obj.entries()].find(([, v]) => !(v instanceof TensorView));
  throw new Error(
    `${where}: the checkpoint${path} is not a state_dict: ${odd ? `'${String(odd[0])}' holds ${describe(odd[1])}` : 'it is empty'}, and there is no ${STATE_DICT_FIELDS.map((f) => `'${f}'`).join(', ')} entry (keys: ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', …' : ''})`,
  );
}

/** Largest materialised tensor (a view with zero strides can claim far more elements than its storage holds). */
const MAX_TENSOR_BYTES = 2 ** 31 - 1;

/** The view's elements, contiguous in row-major order, as bytes in the storage's element type. */
function materialise(view: TensorView, storageBytes: Uint8Array, bigEndian: boolean, what: string): Uint8Array {
  const item = ITEM_SIZE[view.storage.dtype];
  const n = elementCount(view.shape);
  if (n * item > MAX_TENSOR_BYTES)
    throw new Error(`${what}: shape [${view.shape}] needs ${n * item} bytes, more than a tensor can hold here (${MAX_TENSOR_BYTES})`);
  const out = new Uint8Array(n * item);
  if (n > 0) {
    let last = view.offset;
    view.shape.forEach((d, i) => (last += (d - 1) * view.stride[i]));
    if (view.offset < 0 || last >= view.storage.numel)
      throw new Error(
        `${what}: view (offset ${view.offset}, shape [${view.shape}], strides [${view.stride}]) runs past its storage of ${view.storage.numel} elements`,
      );
    let contiguous = true;
    for (let i = view.shape.length - 1, expect = 1; i >= 0; i--) {
      if (view.shape[i] !== 1 && view.stride[i] !== expect) contiguous = false;
      expect *= view.shape[i];
    }
    if (contiguous) out.set(storageBytes.subarray(view.offset * item, (view.offset + n) * item));
    else {
      const rank = view.shape.length;
      const index = new Array<number>(rank).fill(0);
      let src = view.offset;
      for (let k = 0; k < n; k++) {
        out.set(storageBytes.subarray(src * item, (src + 1) * item), k * item);
        for (let d = rank - 1; d >= 0; d--) {
          index[d]++;
          src += view.stride[d];
          if (index[d] < view.shape[d]) break;
          src -= view.stride[d] * view.shape[d];
          index[d] = 0;
        }
      }
    }
  }
  if (bigEndian && item > 1) for (let k = 0; k < out.length; k += item) out.subarray(k, k + item).reverse();
  return out;
}

/** The tensors of a PyTorch `.pth` checkpoint with their stored dtypes, in state_dict order. */
export async function readTorchCheckpointEntries(bytes: Uint8Array, options: TorchCheckpointOptions = {}): Promise<TorchCheckpointEntry[]> {
  const where = 'torch checkpoint';
  if (!isZip(bytes)) {
    if (bytes[0] === 0x80) throw new Error(`${where}: ${LEGACY_ADVICE}`);
    const tar = bytes.byteLength > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
    if (tar) throw new Error(`${where}: ${LEGACY_ADVICE.replace('legacy (pre-1.6)', 'legacy tar (pre-1.0)')}`);
    throw new Error(
      `${where}: not a PyTorch checkpoint: neither a zip archive nor a pickle (first bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`,
    );
  }
  const entries = readZipDirectory(bytes, where);
  const pickles = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1)
    throw new Error(
      `${where}: expected one '<archive>/data.pkl' in the zip, found ${pickles.length ? pickles.join(', ') : 'none'} (entries: ${[...entries.keys()].slice(0, 8).join(', ')})`,
    );
  const archive = pickles[0].slice(0, -'/data.pkl'.length);
  const entry = (name: string): ZipEntry | undefined => entries.get(`${archive}/${name}`);
  const byteorderEntry = entry('byteorder');
  const byteorder = byteorderEntry ? new TextDecoder().decode(await readZipEntry(bytes, byteorderEntry, where)).trim() : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') throw new Error(`${where}: byteorder '${byteorder}' is neither 'little' nor 'big'`);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5)
      throw new Error(`${where}: unexpected persistent id ${describe(pid)}; expected ('storage', type, key, location, numel)`);
    const [, type, key, , numel] = pid;
    if (!(type instanceof StorageType)) throw new Error(`${where}: persistent id names ${describe(type)}, not a storage type`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || numel < 0)
      throw new Error(`${where}: persistent id has key ${describe(key)} and numel ${describe(numel)}`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== type.dtype) throw new Error(`${where}: storage '${key}' is both ${known.dtype} and ${type.dtype}`);
      return known;
    }
    const s = { dtype: type.dtype, key, numel: numel as number };
    storages.set(key, s);
    return s;
  };
  const root = unpickle(await readZipEntry(bytes, entry('data.pkl')!, where), {
    findGlobal: allowedGlobals(where),
    persistentLoad,
    refusalHint,
    where: `${where} ${archive}/data.pkl`,
  });
  const stateDict = findStateDict(root, where);

  const prefix = options.stripPrefix === true ? 'module.' : options.stripPrefix;
  const storageBytes = new Map<string, Uint8Array>();
  const out: TorchCheckpointEntry[] = [];
  const seen = new Set<string>();
  try {
    for (const [rawKey, view] of stateDict) {
      const key = prefix && rawKey.startsWith(prefix) ? rawKey.slice(prefix.length) : rawKey;
      if (seen.has(key))
        throw new Error(`${where}: '${rawKey}' becomes '${key}' without the prefix '${prefix}', which the state_dict already has`);
      seen.add(key);
      const what = `${where}: tensor '${rawKey}'`;
      const s = view.storage;
      let data = storageBytes.get(s.key);
      if (!data) {
        const e = entry(`data/${s.key}`);
        if (!e) throw new Error(`${what}: its storage '${archive}/data/${s.key}' is missing from the archive`);
        data = await readZipEntry(bytes, e, where);
        if (data.byteLength !== s.numel * ITEM_SIZE[s.dtype])
          throw new Error(
            `${what}: storage '${s.key}' has ${data.byteLength} bytes but ${s.numel} ${s.dtype} elements need ${s.numel * ITEM_SIZE[s.dtype]}`,
          );
        storageBytes.set(s.key, data);
      }
      const tensor = decodeTensor(materialise(view, data, byteorder === 'big', what), s.dtype, view.shape, what, true);
      out.push({ key, dtype: s.dtype, shape: view.shape, tensor });
    }
  } catch (err) {
    for (const e of out) e.tensor.dispose();
    throw err;
  }
  return out;
}

/**
 * The state_dict of a PyTorch `.pth` checkpoint (the zip format of torch.save ≥ 1.6), also when a
 * training script nested it under `state_dict`, `model_state_dict` or `model`. Floats become float32,
 * integers int32 (int64 must fit). Strided and offset views are made contiguous; tensors that share
 * a storage are read from it once. Loading never executes anything from the file.
 */
export async function readTorchCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions = {}): Promise<Record<string, tf.Tensor>> {
  const out: Record<string, tf.Tensor> = {};
  for (const e of await readTorchCheckpointEntries(bytes, options)) out[e.key] = e.tensor;
  return out;
}
