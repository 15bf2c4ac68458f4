import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { filesIn } from '../../src/data/files.js';
import { defaultCacheDir, findFashionMnist, SAMPLE_DIR, type FindOptions } from '../../src/data/sources.js';
import { tempDir, writeTinyDataset } from './fixtures.js';

describe('data set lookup', () => {
  const tmp = tempDir();
  after(tmp.cleanup);
  const dirs = {
    flag: join(tmp.dir, 'flag'),
    env: join(tmp.dir, 'env'),
    debian: join(tmp.dir, 'debian'),
    xdg: join(tmp.dir, 'xdg'),
    sample: join(tmp.dir, 'sample'),
  };
  const cache = join(dirs.xdg, 'acon', 'fashion-mnist');
  for (const dir of [dirs.flag, dirs.env, dirs.debian, cache, dirs.sample]) writeTinyDataset(dir, 10, 10, dir === cache);
  const base: FindOptions = { debianDir: dirs.debian, sampleDir: dirs.sample, env: { XDG_CACHE_HOME: dirs.xdg, ACON_DATA: dirs.env } };

  it('takes the first of flag > env > debian > cache > sample', async () => {
    const steps: [FindOptions, string, string][] = [
      [{ ...base, dataDir: dirs.flag }, 'flag', dirs.flag],
      [base, 'env', dirs.env],
      [{ ...base, env: { XDG_CACHE_HOME: dirs.xdg } }, 'debian', dirs.debian],
      [{ ...base, env: { XDG_CACHE_HOME: dirs.xdg }, debianDir: join(tmp.dir, 'none') }, 'cache', cache],
      [{ ...base, env: { XDG_CACHE_HOME: join(tmp.dir, 'none') }, debianDir: join(tmp.dir, 'none') }, 'sample', dirs.sample],
    ];
    for (const [opts, kind, dir] of steps) {
      const found = await findFashionMnist(opts);
      assert.equal(found.kind, kind);
      assert.equal(found.dir, dir);
      assert.equal(found.files.trainImages, join(dir, `train-images-idx3-ubyte${kind === 'cache' ? '.gz' : ''}`));
    }
  });

  it("source: 'sample' takes the bundled sample over everything else", async () => {
    const found = await findFashionMnist({ ...base, dataDir: dirs.flag, source: 'sample' });
    assert.equal(found.kind, 'sample');
    assert.equal(found.dir, dirs.sample);
    assert.match(found.description, /bundled sample/);
  });

  it('the bundled sample is the default sample directory', async () => {
    const found = await findFashionMnist({ source: 'sample' });
    assert.equal(found.dir, SAMPLE_DIR.replace(/\/$/, ''));
    assert.ok(filesIn(SAMPLE_DIR).files);
  });

  it('a directory named by --data or ACON_DATA must hold the files: no fallback', async () => {
    await assert.rejects(findFashionMnist({ ...base, dataDir: join(tmp.dir, 'nowhere') }),
      { message: `Fashion-MNIST from --data ${join(tmp.dir, 'nowhere')}: ${join(tmp.dir, 'nowhere')} does not exist` });
    const partial = writeTinyDataset(join(tmp.dir, 'partial'));
    rmSync(join(partial, 't10k-labels-idx1-ubyte'));
    rmSync(join(partial, 'train-images-idx3-ubyte'));
    await assert.rejects(findFashionMnist({ ...base, env: { ACON_DATA: partial } }),
      { message: `Fashion-MNIST from ACON_DATA=${partial}: ${partial} lacks train-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]` });
  });

  it('an incomplete Debian or cache directory is skipped', async () => {
    const partial = writeTinyDataset(join(tmp.dir, 'partial-debian'));
    rmSync(join(partial, 'train-labels-idx1-ubyte'));
    const found = await findFashionMnist({ ...base, env: { XDG_CACHE_HOME: dirs.xdg }, debianDir: partial });
    assert.equal(found.kind, 'cache');
  });

  it('accepts plain and gzipped names, preferring plain when both exist', () => {
    const both = writeTinyDataset(writeTinyDataset(join(tmp.dir, 'both'), 10, 10, true));
    assert.equal(filesIn(both).files?.testImages, join(both, 't10k-images-idx3-ubyte'));
    assert.equal(filesIn(cache).files?.testImages, join(cache, 't10k-images-idx3-ubyte.gz'));
  });

  it('the cache is under $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/acon/fashion-mnist');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '', HOME: '/home/u' }), '/home/u/.cache/acon/fashion-mnist');
  });
});
