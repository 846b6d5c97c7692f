// control/matrix.ts — the test-all matrix file: YAML validated with zod, expanded to one run per combination.
import { z } from 'zod';
import { camelName, OPTION_NAMES, readYamlFile, resolveOptions, type TestOptions } from './config.ts';
import { UsageError } from './exit-codes.ts';

/** VERDICT_NAMES: what a run can end as; `crashed` is a run that threw or could not be checked. */
export const VERDICT_NAMES = ['valid', 'invalid', 'unknown', 'crashed'] as const;
export type VerdictName = (typeof VERDICT_NAMES)[number];

/** RUNS_MAX bounds the expanded matrix (a typo in a list should not start a week of runs). */
export const RUNS_MAX = 1000;

const oneOrMany = <T extends z.ZodType>(item: T, expected: string) =>
  z.union([item, z.array(item).min(1)], { error: `expected ${expected}, or a non-empty list of them` });
const optionValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
const optionsSchema = z.record(z.string(), optionValue);

const rowSchema = z.strictObject({
  db: oneOrMany(z.string().min(1), 'a protocol name'),
  workload: oneOrMany(z.string().min(1), 'a workload name'),
  /** Each item is one fault combination: "partition", "partition,kill", a list, or "none". */
  nemesis: oneOrMany(z.union([z.string(), z.array(z.string())]), 'a fault combination ("partition,kill", a list of faults, or none)').default('none'),
  seeds: oneOrMany(z.number().int().min(0), 'a seed (an integer ≥ 0)').default(1),
  expect: oneOrMany(z.enum(VERDICT_NAMES), `a verdict (${VERDICT_NAMES.join(', ')})`),
  options: optionsSchema.default({}),
});

const matrixSchema = z.strictObject({
  defaults: optionsSchema.default({}),
  runs: z.array(rowSchema).min(1),
});

/** MatrixRow: one row of the file, lists normalised. */
export type MatrixRow = z.infer<typeof rowSchema>;

/** MatrixRun: one combination to run: resolved options and the verdicts it may end with. */
export interface MatrixRun {
  /** rowIndex: the row of `runs` it came from. */
  rowIndex: number;
  opts: TestOptions;
  nemesisText: string;
  expect: VerdictName[];
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** describeIssue names the key path of a zod issue and what was expected. */
function describeIssue(file: string, issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? '(top level)' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${file}: ${where}: ${issue.message}`;
}

/** readMatrixFile reads and validates a matrix file; errors name the file, the key and what was expected. */
export function readMatrixFile(file: string): z.infer<typeof matrixSchema> {
  const parsed = matrixSchema.safeParse(readYamlFile(file));
  if (!parsed.success) throw new UsageError(parsed.error.issues.slice(0, 3).map((issue) => describeIssue(file, issue)).join('; '));
  return parsed.data;
}

/** toFlags turns YAML option keys (flag names) into the camelCase flags resolveOptions takes. */
function toFlags(file: string, where: string, options: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!OPTION_NAMES.includes(key)) throw new UsageError(`${file}: ${where}.${key}: unknown option; expected one of ${OPTION_NAMES.join(', ')}`);
    if (key === 'config') throw new UsageError(`${file}: ${where}.config: not allowed in a matrix`);
    flags[camelName(key)] = Array.isArray(value) ? value.join(',') : typeof value === 'boolean' ? String(value) : value;
  }
  return flags;
}

/**
 * expandMatrix turns the file into runs: for each row, every db × workload × nemesis × seed,
 * options from defaults < the row's options < the row's axes < `overrides` (test-all flags,
 * camelCase). Each run's options are validated as `test` validates flags; errors name the
 * file, the row and the key.
 */
export function expandMatrix(file: string, overrides: Record<string, unknown> = {}): MatrixRun[] {
  const doc = readMatrixFile(file);
  const defaults = toFlags(file, 'defaults', doc.defaults);
  const runs: MatrixRun[] = [];
  doc.runs.forEach((row, rowIndex) => {
    const rowFlags = toFlags(file, `runs[${rowIndex}].options`, row.options);
    for (const db of list(row.db)) {
      for (const workload of list(row.workload)) {
        for (const nemesis of list(row.nemesis)) {
          const nemesisText = Array.isArray(nemesis) ? (nemesis.length === 0 ? 'none' : nemesis.join(',')) : nemesis;
          for (const seed of list(row.seeds)) {
            const flags = { ...defaults, ...rowFlags, db, workload, nemesis: nemesisText, seed, ...overrides };
            let opts: TestOptions;
            try {
              opts = resolveOptions(flags);
            } catch (error) {
              const message = (error as Error).message.replace(/^--([a-z-]+):/, (_m, key: string) => `${key}:`);
              throw new UsageError(`${file}: runs[${rowIndex}]: ${message}`);
            }
            runs.push({ rowIndex, opts: { ...opts, testCount: 1 }, nemesisText, expect: [...new Set(list(row.expect))] });
            if (runs.length > RUNS_MAX) throw new UsageError(`${file}: more than ${RUNS_MAX} runs; split the matrix`);
          }
        }
      }
    }
  });
  return runs;
}
