// test/checker-linearizable.test.ts — hand-made histories, counterexamples, limits and strategies.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, checkOperations, formatLinearizabilityResult } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import type { Op } from '../history/op.ts';
import { toOperations } from '../history/pair.ts';
import { readHistory } from '../history/read.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kvDir = path.resolve(repoRoot, '..', 'shared', 'testdata', 'porcupine', 'kv');
const kvPresent = existsSync(kvDir);

type Event = [type: Op['type'], process: number, f: string, value?: unknown];

function history(...events: Event[]): Op[] {
  return events.map(([type, process, f, value], index) => ({ index, type, process, f, value }));
}

const register = () => getModel('register');

describe('checkLinearizable on hand-made histories', () => {
  it('accepts a valid register history with concurrency', async () => {
    const h = history(
      ['invoke', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', 1],
    );
    const result = await checkLinearizable(h, register());
    expect(result.valid).toBe(true);
    expect(result.failures).toEqual([]);
  });

  it('rejects a stale read after a completed write', async () => {
    const h = history(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', null],
    );
    expect((await checkLinearizable(h, register())).valid).toBe(false);
  });

  it('assumes an info write happened when a later read needs it', async () => {
    const h = history(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['info', 1, 'write', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 2],
    );
    expect((await checkLinearizable(h, register())).valid).toBe(true);
    // Control: without the info write, reading 2 is impossible.
    expect((await checkLinearizable(h.slice(0, 2).concat(reindex(h.slice(4), 2)), register())).valid).toBe(false);
  });

  it('assumes an info write never happened (or happened late) when reads need that', async () => {
    const h = history(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['info', 1, 'write', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 1],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 1],
    );
    expect((await checkLinearizable(h, register())).valid).toBe(true);
    // But once 2 was read, the info write has happened and 1 cannot come back.
    const flipped = history(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['info', 1, 'write', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 1],
    );
    expect((await checkLinearizable(flipped, register())).valid).toBe(false);
  });

  it('ignores failed ops: they never happened', async () => {
    const base: Event[] = [
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['fail', 1, 'write', 2],
      ['invoke', 2, 'read', null],
    ];
    expect((await checkLinearizable(history(...base, ['ok', 2, 'read', 1]), register())).valid).toBe(true);
    expect((await checkLinearizable(history(...base, ['ok', 2, 'read', 2]), register())).valid).toBe(false);
  });

  it('applies Knossos cas semantics with an init value', async () => {
    const h = history(
      ['invoke', 0, 'cas', [0, 3]],
      ['ok', 0, 'cas', [0, 3]],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', 3],
    );
    expect((await checkLinearizable(h, getModel('cas-register', 0))).valid).toBe(true);
    expect((await checkLinearizable(h, getModel('cas-register'))).valid).toBe(false);
  });

  it('checks each key of a multi-register independently', async () => {
    const h: Op[] = [
      { index: 0, type: 'invoke', process: 0, f: 'write', key: 'a', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'write', key: 'a', value: 1 },
      { index: 2, type: 'invoke', process: 1, f: 'read', key: 'b', value: null },
      { index: 3, type: 'ok', process: 1, f: 'read', key: 'b', value: null },
      { index: 4, type: 'invoke', process: 1, f: 'read', key: 'a', value: null },
      { index: 5, type: 'ok', process: 1, f: 'read', key: 'a', value: 1 },
    ];
    const result = await checkLinearizable(h, getModel('multi-register'));
    expect(result).toMatchObject({ valid: true, partitions: 2, partitionsChecked: 2 });
  });
});

describe('counterexamples', () => {
  it('names the longest prefix, the failing read, the possible states and the window', async () => {
    // w1 and w2 overlap; read 1 forces w2 before w1, so the later read 2 cannot be placed.
    const h = history(
      ['invoke', 0, 'write', 1],
      ['invoke', 1, 'write', 2],
      ['ok', 0, 'write', 1],
      ['ok', 1, 'write', 2],
      ['invoke', 2, 'read', null],
      ['ok', 2, 'read', 1],
      ['invoke', 3, 'read', null],
      ['invoke', 0, 'read', null],
      ['ok', 3, 'read', 2],
      ['ok', 0, 'read', 1],
    );
    const result = await checkLinearizable(h, register());
    expect(result.valid).toBe(false);
    const [failure] = result.failures;
    expect(failure.prefix).toEqual([
      { id: 1, stateAfter: 'register = 2' },
      { id: 0, stateAfter: 'register = 1' },
      { id: 2, stateAfter: 'register = 1' },
      { id: 4, stateAfter: 'register = 1' },
    ]);
    expect(failure.failingOpIds).toEqual([3]);
    expect(failure.statesBefore).toEqual(['register = 1']);
    expect(failure.candidateIds).toEqual([]);
    expect(failure.windowIds).toEqual([3, 4]);
    const read = failure.ops.find((op) => op.id === 3);
    expect(read).toMatchObject({ process: 3, f: 'read', output: 2, invokeIndex: 6, returnIndex: 8, text: 'read 2' });
    expect(failure.ops.find((op) => op.id === 4)).toMatchObject({ returnIndex: 9, text: 'read 1' });
    expect(failure.lines.join('\n')).toContain('read 2, history 6..8) cannot be linearized: the state could only be register = 1');
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(formatLinearizabilityResult(result)).toMatch(/^NOT linearizable \(model register, 5 ops/);
  });
});

/** concurrentWrites: n overlapping writes, then a read of a value nobody wrote (hard to refute). */
function concurrentWrites(n: number): Op[] {
  const events: Event[] = [];
  for (let p = 0; p < n; p++) events.push(['invoke', p, 'write', p]);
  for (let p = 0; p < n; p++) events.push(['ok', p, 'write', p]);
  events.push(['invoke', n, 'read', null], ['ok', n, 'read', -1]);
  return history(...events);
}

describe('limits', () => {
  it('gives unknown, never a wrong verdict, when the time runs out', async () => {
    const result = await checkLinearizable(concurrentWrites(24), register(), { timeoutMs: 200 });
    expect(result.valid).toBe('unknown');
    expect(result.unknownReason).toMatch(/timeout/);
    expect(result.elapsedMs).toBeLessThan(5_000);
  });

  it('gives unknown when the visited-state cache reaches its cap', async () => {
    const result = await checkLinearizable(concurrentWrites(24), register(), { cacheBytesMax: 8 * 2 ** 20 });
    expect(result.valid).toBe('unknown');
    expect(result.unknownReason).toMatch(/memory/);
  });

  it('gives unknown when the resident memory cap is reached', async () => {
    // The resident set is first sampled 50 ms in (a /proc read costs more than a small check),
    // so the history must keep the search busy for longer than that.
    const result = await checkLinearizable(concurrentWrites(18), register(), { rssBytesMax: 1 });
    expect(result.valid).toBe('unknown');
    expect(result.unknownReason).toMatch(/memory: resident set/);
  });

  it('still refutes a small version of the same history', async () => {
    expect((await checkLinearizable(concurrentWrites(8), register())).valid).toBe(false);
  });
});

describe.runIf(kvPresent)('strategies on Porcupine kv data', () => {
  it('interleaved and worker strategies agree on every kv file', async () => {
    for (const name of ['c01-ok', 'c01-bad', 'c10-ok', 'c10-bad', 'c50-ok', 'c50-bad']) {
      const { operations } = toOperations(await readHistory(path.join(kvDir, `${name}.txt`)));
      const interleaved = await checkOperations(operations, getModel('kv'), { timeoutMs: 10_000 });
      const workers = await checkOperations(operations, getModel('kv'), { strategy: 'workers', workers: 2, timeoutMs: 10_000 });
      expect(interleaved.valid, name).toBe(name.endsWith('-ok'));
      expect(workers.valid, name).toBe(interleaved.valid);
      expect(workers.partitions).toBe(interleaved.partitions);
    }
  });

  it('stops at the first illegal partition on c50-bad (key "0" alone would run for minutes)', async () => {
    const { operations } = toOperations(await readHistory(path.join(kvDir, 'c50-bad.txt')));
    const result = await checkOperations(operations, getModel('kv'), { timeoutMs: 20_000 });
    expect(result.valid).toBe(false);
    expect(result.partitions).toBe(10);
    expect(result.partitionsChecked).toBeLessThan(10);
    expect(result.failures[0].key).not.toBe('0');
    expect(result.elapsedMs).toBeLessThan(10_000);
  });
});

function reindex(ops: Op[], start: number): Op[] {
  return ops.map((op, i) => ({ ...op, index: start + i }));
}

describe('determinism guard', () => {
  it('the search and the models use no clock, randomness, timers or I/O', () => {
    const files = [
      'checker/linearizable/search.ts',
      'checker/linearizable/visited-set.ts',
      'checker/linearizable/transition-memo.ts',
      ...['cas-register', 'etcd', 'kv', 'kv-unpartitioned', 'multi-register', 'register', 'text-interner', 'values'].map(
        (name) => `checker/models/${name}.ts`,
      ),
    ];
    for (const file of files) {
      const source = readFileSync(path.join(repoRoot, file), 'utf8');
      expect(source, file).not.toMatch(/Date\.now|Math\.random|performance\.now|setTimeout|setInterval|node:(fs|net)|process\./);
    }
  });
});
