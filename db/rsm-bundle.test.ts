// db/rsm-bundle.test.ts — the bundle cache is keyed by exactly what esbuild read: any edit of a bundled file misses it, others do not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleHash, rsmNodeBundle, type ReadSource } from './rsm-bundle.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const readRepo: ReadSource = (rel) => (fs.existsSync(path.join(ROOT, rel)) ? fs.readFileSync(path.join(ROOT, rel)) : null);

describe('the rsm node bundle', () => {
  const { dir, file, inputs } = rsmNodeBundle();

  it('records the repository files esbuild read: the entry and what it imports, no tests', () => {
    expect(fs.existsSync(file)).toBe(true);
    expect(inputs).toContain('rsm/node/main.ts');
    expect(inputs).toContain('rsm/raft/core.ts');
    expect(inputs).toContain('lib/rng.ts');
    expect(inputs.filter((rel) => rel.endsWith('.test.ts'))).toEqual([]);
    for (const rel of inputs) expect(fs.existsSync(path.join(ROOT, rel)), rel).toBe(true);
    // The folder is named by the hash of those files as they are now, which is how the next process finds it.
    expect(path.basename(dir)).toBe(bundleHash(inputs, readRepo));
  });

  it('a change to any bundled file changes the hash', () => {
    const base = bundleHash(inputs, readRepo);
    const seen = new Set([base]);
    for (const changed of inputs) {
      const read: ReadSource = (rel) => (rel === changed ? Buffer.concat([readRepo(rel)!, Buffer.from(' ')]) : readRepo(rel));
      const hash = bundleHash(inputs, read);
      expect(seen.has(hash), changed).toBe(false);
      seen.add(hash);
    }
    // So does a new import (the list grows) and an edit of the build's own options.
    expect(bundleHash([...inputs, 'rsm/extra.ts'], readRepo)).not.toBe(base);
    expect(bundleHash(inputs, (rel) => (rel === 'db/rsm-bundle.ts' ? Buffer.from('other') : readRepo(rel)))).not.toBe(base);
  });

  it('a file the bundle does not include (a unit test beside the sources) leaves the hash alone', () => {
    const notBundled = 'rsm/raft/log.test.ts';
    expect(fs.existsSync(path.join(ROOT, notBundled))).toBe(true);
    expect(inputs).not.toContain(notBundled);
    const read: ReadSource = (rel) => (rel === notBundled ? Buffer.from('edited') : readRepo(rel));
    expect(bundleHash(inputs, read)).toBe(bundleHash(inputs, readRepo));
  });
});
