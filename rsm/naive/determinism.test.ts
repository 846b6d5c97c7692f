// rsm/naive/determinism.test.ts — the copy-based cores reach for no clock, randomness, timers or I/O.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIRS = ['naive', 'primary-backup', 'async-backup', 'viewservice'];
const FORBIDDEN = [/Date\.now/, /new Date\(/, /Math\.random/, /setTimeout|setInterval|setImmediate/, /node:(net|fs|http|dgram|child_process)/, /\bawait\b/, /performance\.now/];
const rsmDir = join(import.meta.dirname, '..');

describe('determinism guard', () => {
  const files = DIRS.flatMap((d) => readdirSync(join(rsmDir, d))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'test-harness.ts')
    .map((f) => join(d, f)));

  it('finds the core files', () => {
    expect(files).toEqual(expect.arrayContaining(['naive/core.ts', 'viewservice/replica.ts', 'viewservice/server.ts']));
  });

  it.each(files)('%s uses no wall clock, randomness, timers, sockets, files or await', (file) => {
    const source = readFileSync(join(rsmDir, file), 'utf8');
    for (const pattern of FORBIDDEN) expect(source, `${file} matches ${pattern}`).not.toMatch(pattern);
  });
});
