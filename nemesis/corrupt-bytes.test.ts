// nemesis/corrupt-bytes.test.ts — corruptDataFiles damages exactly the chunk it reports, reproducibly per seed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import { corruptDataFiles, dataFiles } from './corrupt-bytes.ts';

let dir: string;
const original = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corrupt-test-'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'log.bin'), original);
  fs.writeFileSync(path.join(dir, 'empty'), '');
  fs.mkdirSync(path.join(dir, '.lazyfs-stash'));
  fs.writeFileSync(path.join(dir, '.lazyfs-stash', 's1'), 'not the db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('corruptDataFiles', () => {
  it('lists only the non-empty files of the DB (not lazyfs’s own)', () => {
    expect(dataFiles(dir)).toEqual([path.join('sub', 'log.bin')]);
  });

  it('keeps to the program\'s data paths when it names them (not its config files), skipping any not there yet', () => {
    fs.writeFileSync(path.join(dir, 'redis.conf'), 'port 1');
    fs.writeFileSync(path.join(dir, 'dump.rdb'), 'REDIS0011');
    expect(dataFiles(dir, ['sub', 'dump.rdb', 'appendonlydir'])).toEqual(['dump.rdb', path.join('sub', 'log.bin')]);
    expect(dataFiles(dir, ['nothing-yet'])).toEqual([]);
    expect(() => dataFiles(dir, ['../elsewhere'])).toThrow(/outside the data directory/);
    const c = corruptDataFiles(dir, { mode: 'zero' }, new SeededRng(3), ['dump.rdb']);
    expect(c.file).toBe('dump.rdb');
    expect(() => corruptDataFiles(dir, { mode: 'zero' }, new SeededRng(3), ['nothing-yet'])).toThrow(/no non-empty data file .* in nothing-yet/);
  });

  it('bitflip changes every byte of the chunk by one bit and nothing else', () => {
    const c = corruptDataFiles(dir, { mode: 'bitflip', bytes: 16 }, new SeededRng(7));
    const now = fs.readFileSync(path.join(dir, c.file));
    expect(c.length).toBe(16);
    expect(now.length).toBe(1000);
    for (let i = 0; i < 1000; i++) {
      const diff = now[i] ^ original[i];
      if (i >= c.offset && i < c.offset + c.length) expect(diff.toString(2).replace(/0/g, '')).toBe('1');
      else expect(diff).toBe(0);
    }
  });

  it('zero zeroes the chunk; truncate cuts up to `bytes` off the end', () => {
    const z = corruptDataFiles(dir, { mode: 'zero', bytes: 10 }, new SeededRng(1));
    const now = fs.readFileSync(path.join(dir, z.file));
    expect([...now.subarray(z.offset, z.offset + 10)]).toEqual(Array(10).fill(0));
    expect(Buffer.compare(now.subarray(0, z.offset), original.subarray(0, z.offset))).toBe(0);
    const t = corruptDataFiles(dir, { mode: 'truncate', bytes: 50 }, new SeededRng(2));
    expect(t.length).toBeGreaterThanOrEqual(1);
    expect(t.length).toBeLessThanOrEqual(50);
    expect(fs.statSync(path.join(dir, t.file)).size).toBe(1000 - t.length);
  });

  it('the same seed gives the same damage', () => {
    const a = corruptDataFiles(dir, { mode: 'bitflip' }, new SeededRng(42));
    fs.writeFileSync(path.join(dir, 'sub', 'log.bin'), original);
    const b = corruptDataFiles(dir, { mode: 'bitflip' }, new SeededRng(42));
    expect(b).toEqual(a);
  });

  it('refuses a directory with nothing to corrupt, and a file outside it', () => {
    fs.rmSync(path.join(dir, 'sub'), { recursive: true });
    expect(() => corruptDataFiles(dir, { mode: 'zero' }, new SeededRng(1))).toThrow(/no non-empty data file/);
    expect(() => corruptDataFiles(dir, { mode: 'zero', file: '../x' }, new SeededRng(1))).toThrow(/outside the data directory/);
  });
});
