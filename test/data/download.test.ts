import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadFashionMnist } from '../../src/data/dataset.js';
import { downloadFashionMnist, type Checksum } from '../../src/data/download.js';
import { FILE_ROLES, FILE_STEMS, type FileRole } from '../../src/data/files.js';
import { findFashionMnist } from '../../src/data/sources.js';
import { tempDir, tinyDatasetFiles } from './fixtures.js';

/** A local mirror on 127.0.0.1 serving tiny gzipped files under /fm/, and counting requests. */
describe('download from a mirror', () => {
  const files = tinyDatasetFiles(30, 20, true);
  const tmp = tempDir();
  let server: Server, baseUrl = '', requests = 0;

  before(async () => {
    server = createServer((req, res) => {
      requests++;
      const body = files.get((req.url ?? '').replace(/^\/fm\//, ''));
      if (!body) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fm/`;
  });
  after(async () => {
    await new Promise((ok) => server.close(ok));
    tmp.cleanup();
  });

  const checksums = (algorithm: 'md5' | 'sha256') => Object.fromEntries(FILE_ROLES.map((role) => [role, {
    algorithm, digest: createHash(algorithm).update(files.get(`${FILE_STEMS[role]}.gz`)!).digest('hex'),
  }])) as Record<FileRole, Checksum>;

  it('fetches the four files, checks them and saves them', async () => {
    const dir = join(tmp.dir, 'md5');
    const saved = await downloadFashionMnist(dir, { baseUrl, checksums: checksums('md5') });
    for (const role of FILE_ROLES) {
      assert.equal(saved[role], join(dir, `${FILE_STEMS[role]}.gz`));
      assert.deepEqual(new Uint8Array(readFileSync(saved[role])), files.get(`${FILE_STEMS[role]}.gz`));
    }
    assert.deepEqual(readdirSync(dir).sort(), [...files.keys()].sort(), 'no temporary files left');
  });

  it('with download: true, fills the cache once when nothing else is found, then finds it there', async () => {
    const xdg = join(tmp.dir, 'xdg');
    const opts = { env: { XDG_CACHE_HOME: xdg }, debianDir: join(tmp.dir, 'no-debian'), download: { baseUrl, checksums: checksums('sha256') } };
    const first = await loadFashionMnist(opts);
    assert.equal(first.source.kind, 'download');
    assert.equal(first.source.dir, join(xdg, 'acon', 'fashion-mnist'));
    assert.deepEqual([first.train.count, first.test.count], [30, 20]);
    const before = requests;
    const second = await findFashionMnist(opts);
    assert.equal(second.kind, 'cache');
    assert.equal(requests, before, 'no second download');
  });

  it('a checksum mismatch is a clear error and leaves nothing in the cache', async () => {
    const dir = join(tmp.dir, 'bad');
    const bad = checksums('sha256');
    bad.testLabels = { algorithm: 'sha256', digest: '0'.repeat(64) };
    const labels = files.get('t10k-labels-idx1-ubyte.gz')!;
    const actual = createHash('sha256').update(labels).digest('hex');
    await assert.rejects(downloadFashionMnist(dir, { baseUrl, checksums: bad }), {
      message: `could not download t10k-labels-idx1-ubyte.gz; nothing was saved:\n  ${baseUrl}t10k-labels-idx1-ubyte.gz: `
        + `checksum mismatch: sha256 of the ${labels.length} bytes received is ${actual}, expected ${'0'.repeat(64)}`,
    });
    assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'cache directory left empty');
  });

  it('reports HTTP errors and unreachable mirrors', async () => {
    await assert.rejects(downloadFashionMnist(join(tmp.dir, '404'), { baseUrl: baseUrl.replace('/fm/', '/missing/'), checksums: checksums('md5') }),
      /could not download train-images-idx3-ubyte\.gz; nothing was saved:\n {2}http:\/\/127\.0\.0\.1:\d+\/missing\/train-images-idx3-ubyte\.gz: HTTP 404 Not Found$/);
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    await assert.rejects(downloadFashionMnist(join(tmp.dir, 'refused'), { baseUrl: `http://127.0.0.1:${port}/`, checksums: checksums('md5') }),
      /: fetch failed \(.*ECONNREFUSED.*\)$/);
    assert.ok(!existsSync(join(tmp.dir, '404')) && !existsSync(join(tmp.dir, 'refused')));
  });

  it('a mirror that accepts the connection but never answers times out with a message naming it', { timeout: 20_000 }, async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const mirror = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/fm/`;
    try {
      const started = performance.now();
      await assert.rejects(downloadFashionMnist(join(tmp.dir, 'silent'), { baseUrl: mirror, checksums: checksums('md5'), answerTimeoutMs: 300 }),
        new RegExp(`${mirror}train-images-idx3-ubyte\\.gz: no answer from the mirror ${mirror} within 0\\.3 s`));
      assert.ok(performance.now() - started < 10_000);
      assert.ok(!existsSync(join(tmp.dir, 'silent')));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => silent.close(ok));
    }
  });
});
