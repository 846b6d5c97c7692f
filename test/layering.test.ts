// test/layering.test.ts — every source file keeps to the "may import" table and the determinism bans (README "Architecture").
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { determinismViolations, importViolations, importsOf, layerOf, mustBeDeterministic } from './support/layering.ts';

const ROOT = join(import.meta.dirname, '..');

/** sourceFiles: every tracked (or new, not ignored) TypeScript/JavaScript file of ours. */
function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs', '*.js'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f.length > 0 && existsSync(join(ROOT, f)));
}

describe('layering', () => {
  const files = sourceFiles();

  it('reads the whole tree', () => {
    for (const f of ['history/op.ts', 'checker/types.ts', 'rsm/raft/core.ts', 'control/cli.ts', 'lib/rng.ts']) expect(files).toContain(f);
  });

  it('no file imports across the table', () => {
    const violations = files.flatMap((f) => importViolations(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(violations).toEqual([]);
  });

  it('protocol cores and the checker search reach for no clock, randomness, timers, sockets or files', () => {
    const guarded = files.filter(mustBeDeterministic);
    for (const f of ['rsm/raft/core.ts', 'rsm/single/core.ts', 'rsm/naive/core.ts', 'rsm/viewservice/server.ts', 'checker/linearizable/search.ts', 'checker/elle/cycles.ts']) {
      expect(guarded).toContain(f);
    }
    const violations = guarded.flatMap((f) => determinismViolations(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(violations).toEqual([]);
  });
});

describe('the layering checker itself', () => {
  it('names file:line and the rule for an upward import', () => {
    const src = "// history/x.ts\nimport type { Verdict } from '../checker/types.ts';\n";
    expect(importViolations('history/x.ts', src)).toEqual([
      'history/x.ts:2: imports checker/types.ts, but history (history/) may import only lib/',
    ]);
  });

  it('catches re-exports, dynamic imports and test packages in product code', () => {
    const src = "export { a } from '../reports/elements.ts';\nconst m = await import('../rsm/core/types.ts');\nimport { it } from 'vitest';\n";
    const v = importViolations('workloads/x.ts', src);
    expect(v).toHaveLength(3);
    expect(v[0]).toMatch(/^workloads\/x\.ts:1: imports reports\/elements\.ts/);
    expect(v[1]).toMatch(/^workloads\/x\.ts:2: imports rsm\/core\/types\.ts/);
    expect(v[2]).toMatch(/^workloads\/x\.ts:3: imports package vitest/);
  });

  it('lets tests import anything and ignores imports quoted in comments', () => {
    expect(importViolations('history/pair.test.ts', "import { x } from '../control/cli.ts';\n")).toEqual([]);
    expect(importViolations('lib/x.ts', "// import { y } from '../rsm/core/types.ts';\n")).toEqual([]);
    expect(layerOf('workloads/set.test.ts')?.name).toBe('test');
  });

  it('control may not import test scaffolding', () => {
    expect(importViolations('control/runner/x.ts', "import { h } from '../../test/support/network.ts';\n")).toHaveLength(1);
  });

  it('bans the wall clock, randomness, timers and I/O in a core, by line, but not in comments or the runtime', () => {
    const src = "// Date.now is banned here\nconst t = Date.now();\nimport * as fs from 'node:fs';\nsetTimeout(f, 1);\n";
    const v = determinismViolations('rsm/raft/x.ts', src);
    expect(v.map((s) => s.split(':').slice(0, 2).join(':'))).toEqual(['rsm/raft/x.ts:2', 'rsm/raft/x.ts:3', 'rsm/raft/x.ts:4']);
    expect(determinismViolations('rsm/runtime/x.ts', src)).toEqual([]);
    expect(determinismViolations('checker/linearizable/check.ts', src)).toEqual([]);
  });

  it('parses multi-line imports at the line of their keyword', () => {
    const src = "\nimport {\n  a,\n  b,\n} from './a.ts';\nexport * from './b.ts';\nimport './c.ts';\n";
    expect(importsOf(src)).toEqual([{ spec: './a.ts', line: 2 }, { spec: './b.ts', line: 6 }, { spec: './c.ts', line: 7 }]);
  });
});
