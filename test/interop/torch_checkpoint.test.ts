/**
 * PyTorch `.pth` checkpoints: crafted archives (dtypes, views, shared storages, nesting, prefixes,
 * deflate), refused globals that would run code, corrupt files, and files written by torch itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { interop } from '../../src/index.js';
import { f32Bytes, i64Bytes, pickleBytes, pyOrderedDict, pyTensor, sharedFile, torchZip, u16Bytes, type Py } from './fixtures.js';

const { readTorchCheckpoint, readSafetensors } = interop;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function dispose(ts: Record<string, tf.Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

/** A state_dict exercising dtypes, views and a shared storage: storage '0' is a 2×3 float32 [0..5]. */
function craftedStateDict(prefix = ''): { dict: Py; storages: Record<string, Uint8Array> } {
  const dict = pyOrderedDict([
    [`${prefix}conv.weight`, pyTensor({ storageType: 'FloatStorage', key: '0', numel: 6, shape: [2, 3] })],
    // the transpose of storage 0 (strides [1, 3]) and its second row (offset 3), sharing the storage
    [`${prefix}conv.weight_t`, pyTensor({ storageType: 'FloatStorage', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] })],
    [`${prefix}conv.row1`, pyTensor({ storageType: 'FloatStorage', key: '0', numel: 6, offset: 3, shape: [3] })],
    [`${prefix}half`, pyTensor({ storageType: 'HalfStorage', key: '1', numel: 3, shape: [3] })],
    [`${prefix}bf16`, pyTensor({ storageType: 'BFloat16Storage', key: '2', numel: 2, shape: [2] })],
    [`${prefix}bn.num_batches_tracked`, pyTensor({ storageType: 'LongStorage', key: '3', numel: 1, shape: [] })],
  ]);
  const storages = {
    '0': f32Bytes([0, 1, 2, 3, 4, 5]),
    '1': u16Bytes([0x3c00, 0xb800, 0x7bff]),
    '2': u16Bytes([0x4049, 0xbf80]),
    '3': i64Bytes([12n]),
  };
  return { dict, storages };
}

function checkCrafted(sd: Record<string, tf.Tensor>, prefix = ''): void {
  assert.deepEqual(
    Object.keys(sd),
    ['conv.weight', 'conv.weight_t', 'conv.row1', 'half', 'bf16', 'bn.num_batches_tracked'].map((k) => prefix + k),
  );
  const get = (k: string) => sd[prefix + k];
  assert.deepEqual(get('conv.weight').shape, [2, 3]);
  assert.deepEqual(values(get('conv.weight')), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(get('conv.weight_t').shape, [3, 2]);
  assert.deepEqual(values(get('conv.weight_t')), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(values(get('conv.row1')), [3, 4, 5]);
  assert.deepEqual(values(get('half')), [1, -0.5, 65504]);
  assert.deepEqual(values(get('bf16')), [3.140625, -1]);
  assert.equal(get('bn.num_batches_tracked').dtype, 'int32');
  assert.deepEqual(values(get('bn.num_batches_tracked')), [12]);
}

describe('readTorchCheckpoint: crafted archives', () => {
  it('a plain state_dict: F32, F16, BF16, I64; a transposed view, an offset view and a shared storage', async () => {
    const { dict, storages } = craftedStateDict();
    const sd = await readTorchCheckpoint(torchZip(pickleBytes(dict), storages));
    checkCrafted(sd);
    dispose(sd);
  });

  it('deflated entries and a big-endian byteorder give the same tensors', async () => {
    const { dict, storages } = craftedStateDict();
    const sd = await readTorchCheckpoint(torchZip(pickleBytes(dict), storages, { deflate: true }));
    checkCrafted(sd);
    dispose(sd);
    const swapped = Object.fromEntries(
      Object.entries(storages).map(([k, b]) => {
        const item = k === '0' ? 4 : k === '3' ? 8 : 2;
        const out = b.slice();
        for (let i = 0; i < out.length; i += item) out.subarray(i, i + item).reverse();
        return [k, out];
      }),
    );
    const big = await readTorchCheckpoint(torchZip(pickleBytes(dict), swapped, { byteorder: 'big' }));
    checkCrafted(big);
    dispose(big);
  });

  it("nested under 'state_dict' or 'model' beside other training state, with DataParallel's 'module.' prefix stripped on request", async () => {
    const { dict, storages } = craftedStateDict('module.');
    for (const field of ['state_dict', 'model']) {
      const wrapper = new Map<Py, Py>([
        ['epoch', 7],
        ['best_acc', 0.713],
        ['optimizer', new Map<Py, Py>([['param_groups', [new Map<Py, Py>([['lr', 0.1]])]]])],
        [field, dict],
      ]);
      const bytes = torchZip(pickleBytes(wrapper), storages);
      const kept = await readTorchCheckpoint(bytes);
      checkCrafted(kept, 'module.');
      dispose(kept);
      const stripped = await readTorchCheckpoint(bytes, { stripPrefix: true });
      checkCrafted(stripped);
      dispose(stripped);
      const explicit = await readTorchCheckpoint(bytes, { stripPrefix: 'module.' });
      checkCrafted(explicit);
      dispose(explicit);
    }
  });

  it('_rebuild_parameter around a tensor is the tensor', async () => {
    const p = {
      call: { global: 'torch._utils._rebuild_parameter' },
      args: [pyTensor({ storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] }), true, pyOrderedDict([])],
    };
    const sd = await readTorchCheckpoint(torchZip(pickleBytes(pyOrderedDict([['w', p]])), { '0': f32Bytes([1.5, 2.5]) }));
    assert.deepEqual(values(sd.w), [1.5, 2.5]);
    dispose(sd);
  });
});

describe('readTorchCheckpoint: a pickle that would run code is refused, and nothing runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acon-pickle-'));
  const calls: [string, string][] = [
    ['os.system', 'os.system'],
    ['posix.system', 'posix.system'],
    ['builtins.eval', 'builtins.eval'],
    ['subprocess.check_output', 'subprocess.check_output'],
  ];
  for (const [fn, name] of calls) {
    it(`${fn}('touch …') inside the state_dict`, async () => {
      const marker = join(dir, fn.replace('.', '_'));
      const command =
        fn === 'builtins.eval'
          ? `__import__('os').system('touch ${marker}')`
          : fn.startsWith('subprocess')
            ? ['touch', marker]
            : `touch ${marker}`;
      const evil: Py = { call: { global: fn }, args: [command] };
      const pickle = pickleBytes(pyOrderedDict([['w', evil]]));
      await assert.rejects(
        readTorchCheckpoint(torchZip(pickle, {})),
        new RegExp(`refusing to load the global '${name.replace('.', '\\.')}'`),
      );
      assert.equal(existsSync(marker), false, 'the command ran');
      if (spawnSync('/usr/bin/python3', ['-c', 'pass']).status === 0) {
        // the same bytes really are an exploit for Python's own pickle: proof the test is not toothless
        const py = spawnSync('/usr/bin/python3', ['-c', 'import pickle,sys; pickle.loads(sys.stdin.buffer.read())'], { input: pickle });
        assert.equal(py.status, 0, py.stderr.toString());
        assert.equal(existsSync(marker), true, 'python ran the payload');
      }
    });
  }

  it('the opcodes that name a global without GLOBAL (STACK_GLOBAL, INST) are checked too', async () => {
    const text = (s: string) => Array.from(new TextEncoder().encode(s));
    const stackGlobal = Uint8Array.from([
      0x80,
      4,
      0x8c,
      2,
      ...text('os'),
      0x8c,
      6,
      ...text('system'),
      0x93,
      0x8c,
      4,
      ...text('echo'),
      0x85,
      0x52,
      0x2e,
    ]);
    await assert.rejects(readTorchCheckpoint(torchZip(stackGlobal, {})), /refusing to load the global 'os\.system'/);
    const inst = Uint8Array.from([0x28, 0x8c, 4, ...text('echo'), 0x69, ...text('posix\nsystem\n'), 0x2e]);
    await assert.rejects(readTorchCheckpoint(torchZip(inst, {})), /refusing to load the global 'posix\.system'/);
  });

  it('a whole pickled module is refused with advice to save state_dict()', async () => {
    const model: Py = { call: { global: '__main__.Net' }, args: [] };
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(model), {})),
      /'__main__\.Net': the checkpoint pickles a whole module .*save model\.state_dict\(\) instead/,
    );
  });

  it('REDUCE on something that is not an allowed callable is refused', async () => {
    const bad: Py = { call: { global: 'torch.FloatStorage' }, args: [] };
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(pyOrderedDict([['w', bad]])), {})),
      /REDUCE calls something that is not an allowed callable \(torch\.FloatStorage\)/,
    );
  });
});

describe('readTorchCheckpoint: corrupt and unsupported files', () => {
  const { dict, storages } = craftedStateDict();
  const good = torchZip(pickleBytes(dict), storages);

  it('the legacy (pre-1.6) format says how to convert it', async () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    await assert.rejects(readTorchCheckpoint(legacy), /legacy \(pre-1\.6\) torch\.save format.*_use_new_zipfile_serialization=True/);
  });

  it('not a checkpoint at all', async () => {
    await assert.rejects(
      readTorchCheckpoint(new TextEncoder().encode('hello world')),
      /neither a zip archive nor a pickle \(first bytes 68 65 6c 6c\)/,
    );
  });

  it('a truncated archive', async () => {
    await assert.rejects(
      readTorchCheckpoint(good.subarray(0, good.byteLength - 30)),
      /truncated or not a zip archive|runs past the end of the archive/,
    );
  });

  it('a flipped byte in a storage fails its CRC-32 check, naming the entry', async () => {
    const bad = good.slice();
    const at = findBytes(bad, f32Bytes([0, 1, 2, 3, 4, 5]));
    bad[at + 5] ^= 0xff;
    await assert.rejects(readTorchCheckpoint(bad), /entry 'archive\/data\/0' fails its CRC-32 check/);
  });

  it('a missing storage, a storage shorter than its numel, a view past its storage: each names the tensor', async () => {
    const { ['2']: _dropped, ...rest } = storages;
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(dict), rest)),
      /tensor 'bf16': its storage 'archive\/data\/2' is missing/,
    );
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(dict), { ...storages, '1': u16Bytes([1, 2]) })),
      /tensor 'half': storage '1' has 4 bytes but 3 F16 elements need 6/,
    );
    const past = pyOrderedDict([['w', pyTensor({ storageType: 'FloatStorage', key: '0', numel: 6, offset: 4, shape: [3] })]]);
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(past), storages)),
      /tensor 'w': view \(offset 4, shape \[3\], strides \[1\]\) runs past its storage of 6 elements/,
    );
  });

  it('an int64 that does not fit int32 names the tensor', async () => {
    const sd = pyOrderedDict([['step', pyTensor({ storageType: 'LongStorage', key: '0', numel: 1, shape: [1] })]]);
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(sd), { '0': i64Bytes([1n << 33n]) })),
      /tensor 'step'.*8589934592.*does not fit in int32/,
    );
  });

  it('a checkpoint with no state_dict lists what it holds', async () => {
    const other = new Map<Py, Py>([
      ['epoch', 3],
      ['lr', 0.1],
    ]);
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(other), {})),
      /is not a state_dict: 'epoch' holds number 3.*keys: epoch, lr/,
    );
  });

  it('an expanded view claiming more than a tensor can hold, and a dict that contains itself', async () => {
    const huge = pyOrderedDict([
      ['w', pyTensor({ storageType: 'FloatStorage', key: '0', numel: 6, shape: [1 << 20, 1 << 20], stride: [0, 0] })],
    ]);
    await assert.rejects(
      readTorchCheckpoint(torchZip(pickleBytes(huge), storages)),
      /tensor 'w': shape \[1048576,1048576\] needs 4398046511104 bytes/,
    );
    // {'model': <memo 1>} where memo 1 is the dict itself: EMPTY_DICT BINPUT 1, 'model', BINGET 1, SETITEM
    const text = (s: string) => Array.from(new TextEncoder().encode(s));
    const cyclic = Uint8Array.from([0x80, 2, 0x7d, 0x71, 1, 0x58, 5, 0, 0, 0, ...text('model'), 0x68, 1, 0x73, 0x2e]);
    await assert.rejects(readTorchCheckpoint(torchZip(cyclic, {})), /\['model'\] refers back to a dict that contains it/);
  });

  it('a truncated pickle', async () => {
    const p = pickleBytes(dict);
    await assert.rejects(
      readTorchCheckpoint(torchZip(p.subarray(0, p.length - 40), storages)),
      /data\.pkl: (truncated|stack underflow|no MARK)/,
    );
  });
});

function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

describe('readTorchCheckpoint: files written by torch.save', () => {
  const pth = sharedFile('zoo/shufflenetv2_0.5x_acon.pth');
  const st = sharedFile('zoo/shufflenetv2_0.5x_acon.safetensors');
  it('the official ShuffleNetV2 0.5x ACON .pth is bit-identical to its .safetensors', { skip: !(pth && st) }, async () => {
    const fromPth = await readTorchCheckpoint(new Uint8Array(readFileSync(pth!)));
    const fromSt = readSafetensors(new Uint8Array(readFileSync(st!)));
    const nbt = Object.keys(fromPth).filter((k) => k.endsWith('.num_batches_tracked'));
    assert.ok(nbt.length > 0);
    assert.deepEqual(
      Object.keys(fromPth)
        .filter((k) => !k.endsWith('.num_batches_tracked'))
        .sort(),
      Object.keys(fromSt).sort(),
    );
    for (const k of Object.keys(fromSt)) {
      assert.deepEqual(fromPth[k].shape, fromSt[k].shape, k);
      assert.deepEqual(new Uint8Array(fromPth[k].dataSync().buffer), new Uint8Array(fromSt[k].dataSync().buffer), k);
    }
    for (const k of nbt) assert.equal(fromPth[k].dtype, 'int32', k);
    dispose(fromPth);
    dispose(fromSt);
  });

  const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { timeout: 60_000 }).status === 0;
  it(
    'views, dtypes, shared storages and a nested DataParallel checkpoint written by torch itself',
    { skip: torchAvailable ? false : 'needs /usr/bin/python3 with torch' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'acon-torch-'));
      const script = `
import torch, json, sys
torch.manual_seed(0)
base = torch.randn(4, 6)
sd = {
  'module.t': base.t(),                    # strided view
  'module.slice': base[1:3, 2:5],          # offset + strided
  'module.base': base,                     # shares the storage
  'module.half': torch.tensor([1.0, -0.5, 3.140625, 65504.0, 6e-8]).half(),
  'module.bf16': torch.tensor([1.0, -123.5, 3.14]).bfloat16(),
  'module.count': torch.tensor(5, dtype=torch.long),
  'module.ints': torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3),
  'module.expanded': torch.arange(3.0).reshape(3, 1).expand(3, 4),
}
torch.save({'epoch': 2, 'state_dict': sd, 'optimizer': torch.optim.SGD([torch.nn.Parameter(base)], lr=0.1).state_dict()}, sys.argv[1])
json.dump({k[len('module.'):]: {'shape': list(v.shape), 'data': v.float().flatten().tolist()} for k, v in sd.items()}, open(sys.argv[2], 'w'))
`;
      const file = join(dir, 'ckpt.pth'),
        expected = join(dir, 'expected.json');
      execFileSync('/usr/bin/python3', ['-c', script, file, expected]);
      const sd = await readTorchCheckpoint(new Uint8Array(readFileSync(file)), { stripPrefix: true });
      const want = JSON.parse(readFileSync(expected, 'utf8')) as Record<string, { shape: number[]; data: number[] }>;
      assert.deepEqual(Object.keys(sd), Object.keys(want));
      for (const [k, w] of Object.entries(want)) {
        assert.deepEqual(sd[k].shape, w.shape, k);
        assert.deepEqual(values(sd[k]), w.data.map(Math.fround), k);
      }
      assert.equal(sd.count.dtype, 'int32');
      dispose(sd);
    },
  );

  it(
    'torch-written variants: legacy format, re-zipped with deflate, a whole pickled module, TorchScript',
    { skip: torchAvailable ? false : 'needs /usr/bin/python3 with torch' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'acon-torch-variants-'));
      const script = `
import torch, zipfile, sys
d = sys.argv[1]
net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
sd = net.state_dict()
torch.save(sd, d + '/plain.pth')
torch.save(sd, d + '/legacy.pth', _use_new_zipfile_serialization=False)
with zipfile.ZipFile(d + '/plain.pth') as src, zipfile.ZipFile(d + '/deflated.pth', 'w', zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
    def forward(self, x):
        return self.fc(x)
torch.save(Net(), d + '/module.pth')
torch.jit.save(torch.jit.trace(Net(), torch.zeros(1, 2)), d + '/scripted.pt')
`;
      execFileSync('/usr/bin/python3', ['-c', script, dir]);
      const read = (name: string) => readTorchCheckpoint(new Uint8Array(readFileSync(join(dir, name))));
      const plain = await read('plain.pth');
      assert.deepEqual(Object.keys(plain), [
        '0.weight',
        '0.bias',
        '1.weight',
        '1.bias',
        '1.running_mean',
        '1.running_var',
        '1.num_batches_tracked',
      ]);
      const deflated = await read('deflated.pth');
      for (const k of Object.keys(plain)) assert.deepEqual(values(deflated[k]), values(plain[k]), k);
      dispose(plain);
      dispose(deflated);
      await assert.rejects(read('legacy.pth'), /legacy \(pre-1\.6\) torch\.save format.*_use_new_zipfile_serialization=True/);
      await assert.rejects(read('module.pth'), /refusing to load the global '__main__\.Net': the checkpoint pickles a whole module/);
      await assert.rejects(read('scripted.pt'), /refusing to load the global '__torch__\.[\w.]+': the checkpoint pickles a whole module/);
    },
  );
});
