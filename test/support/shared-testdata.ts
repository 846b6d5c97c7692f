// test/support/shared-testdata.ts — locate a data set under ../shared/testdata and read its EXPECTED.tsv.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** SharedTestdata is one data set: where it is, whether it is there, its expectations. */
export interface SharedTestdata {
  dir: string;
  present: boolean;
  /** rows: the EXPECTED.tsv lines after the header, split into columns. */
  rows(): string[][];
  /** checkPresence fails on CI when the data is absent and warns (the tests then skip) elsewhere. */
  checkPresence(): void;
}

/**
 * sharedTestdata finds ../shared/testdata/<name> (data is read from there, never copied into
 * the repo). `requiredOnCi: false` is for a data set shared/ does not hold yet: its tests run
 * wherever it is present and skip with a message elsewhere, CI included.
 */
export function sharedTestdata(name: string, opts: { requiredOnCi?: boolean } = {}): SharedTestdata {
  const requiredOnCi = opts.requiredOnCi ?? true;
  const dir = path.resolve(repoRoot, '..', 'shared', 'testdata', name);
  const expectedPath = path.join(dir, 'EXPECTED.tsv');
  const present = existsSync(expectedPath);
  return {
    dir,
    present,
    rows: () => readFileSync(expectedPath, 'utf8').trim().split('\n').slice(1).map((row) => row.split('\t')),
    checkPresence() {
      if (present) return;
      if (process.env.CI && requiredOnCi) throw new Error(`${name} test data missing at ${dir}`);
      console.warn(`skipping ${name} data checks: ${dir} is absent`);
    },
  };
}
