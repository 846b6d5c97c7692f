// test/rsm-durable-log.test.ts — the durable log: replay, torn/corrupt tails, atomic reset, group commit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DurableLog, decodeRecords, encodeRecord } from '../rsm/runtime/durable-log.ts';

let dir: string;
let file: string;
let lines: string[];
const log = (line: string): void => {
  lines.push(line);
};

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rsm-log-'));
  file = path.join(dir, 'log.bin');
  lines = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DurableLog', () => {
  it('replays appended records after reopening', async () => {
    const { log: l, records } = await DurableLog.open(file, { log });
    expect(records).toEqual([]);
    await l.append([{ a: 1 }, 'two']);
    await l.append([[3]]);
    await l.close();
    const again = await DurableLog.open(file, { log });
    expect(again.records).toEqual([{ a: 1 }, 'two', [3]]);
    await again.log.close();
    expect(lines).toEqual([]);
  });

  it('truncates a torn tail and logs how many bytes at which offset', async () => {
    const good = Buffer.concat([encodeRecord({ k: 'a' }), encodeRecord({ k: 'b' })]);
    const torn = encodeRecord({ k: 'c' }).subarray(0, 11);
    writeFileSync(file, Buffer.concat([good, torn]));
    const { log: l, records } = await DurableLog.open(file, { log });
    expect(records).toEqual([{ k: 'a' }, { k: 'b' }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`truncated 11 bytes at offset ${good.length}`);
    expect(statSync(file).size).toBe(good.length);
    // New appends follow the intact prefix, not the garbage.
    await l.append([{ k: 'd' }]);
    await l.close();
    expect((await DurableLog.open(file, { log })).records).toEqual([{ k: 'a' }, { k: 'b' }, { k: 'd' }]);
  });

  it('truncates at a CRC mismatch, dropping everything after it', async () => {
    const first = encodeRecord({ n: 1 });
    const second = encodeRecord({ n: 2 });
    second[second.length - 2] ^= 0xff;
    writeFileSync(file, Buffer.concat([first, second, encodeRecord({ n: 3 })]));
    const { log: l, records } = await DurableLog.open(file, { log });
    expect(records).toEqual([{ n: 1 }]);
    expect(lines[0]).toMatch(new RegExp(`truncated \\d+ bytes at offset ${first.length} .*crc mismatch`));
    await l.close();
  });

  it('decodeRecords rejects an absurd length without allocating it', () => {
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(0xffffffff, 0);
    expect(decodeRecords(bad)).toMatchObject({ records: [], validBytes: 0, stopReason: 'bad length 4294967295' });
  });

  it('reset replaces the log atomically and later appends follow the new contents', async () => {
    const { log: l } = await DurableLog.open(file, { log });
    await l.append([1, 2, 3]);
    await l.reset([{ snapshot: [1, 2, 3] }]);
    await l.append([4]);
    await l.close();
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect((await DurableLog.open(file, { log })).records).toEqual([{ snapshot: [1, 2, 3] }, 4]);
  });

  it('an interrupted reset (temp file left, no rename) leaves the old log intact', async () => {
    const { log: l } = await DurableLog.open(file, { log });
    await l.append(['old']);
    await l.close();
    writeFileSync(`${file}.tmp`, encodeRecord('half-written snapshot').subarray(0, 5));
    const again = await DurableLog.open(file, { log });
    expect(again.records).toEqual(['old']);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    await again.log.close();
  });

  it('group commit: appends issued while an fsync is in flight share the next fsync', async () => {
    const { log: l } = await DurableLog.open(file, { log });
    const n = 200;
    const appends = Array.from({ length: n }, (_, i) => l.append([i]));
    await Promise.all(appends);
    // The first append is written alone; the 199 queued behind it go in one group.
    expect(l.fsyncCount).toBeLessThanOrEqual(2);
    expect(l.fsyncCount).toBeGreaterThanOrEqual(1);
    await l.close();
    expect((await DurableLog.open(file, { log })).records).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('fsync never does not fsync (documented as unsafe)', async () => {
    const { log: l } = await DurableLog.open(file, { log, fsync: 'never' });
    await l.append([1]);
    await l.append([2]);
    expect(l.fsyncCount).toBe(0);
    await l.close();
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });

  it('appends after a garbage-only file start from offset 0', async () => {
    appendFileSync(file, Buffer.from([1, 2, 3]));
    const { log: l, records } = await DurableLog.open(file, { log });
    expect(records).toEqual([]);
    expect(lines[0]).toContain('truncated 3 bytes at offset 0');
    await l.close();
  });
});
