// db/postgres/sql.ts — the schema and statements of the txn workloads in PostgreSQL (after Jepsen's postgres/stolon append tests).
//
// list-append keeps each key's list as one row (id, bigint[]): an append is an upsert that
// concatenates (`INSERT … ON CONFLICT DO UPDATE SET val = t.val || …`), a read selects the row.
// rw-register keeps one bigint per key, written by an upsert that overwrites.

/** PG_ISOLATIONS: the levels `--isolation` accepts, as SQL names them. */
export const PG_ISOLATIONS = {
  'read-committed': 'READ COMMITTED',
  'repeatable-read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
} as const;

export type PgIsolation = keyof typeof PG_ISOLATIONS;

/** isPgIsolation tells whether a string names an isolation level. */
export function isPgIsolation(s: unknown): s is PgIsolation {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(PG_ISOLATIONS, s);
}

/** PgWorkload: the workloads this DB has SQL for. */
export type PgWorkload = 'list-append' | 'rw-register';

export const PG_WORKLOADS: readonly PgWorkload[] = ['list-append', 'rw-register'];

/** Statements: how one workload's micro-ops become SQL ($1 the key, $2 the value). */
export interface Statements {
  read: string;
  write: string;
  /** readValue turns the selected column into the micro-op's value (null: no row). */
  readValue(column: unknown): unknown;
}

/** SCHEMA: every table, created once per node before clients start. */
export const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS append_lists (id text PRIMARY KEY, val bigint[] NOT NULL)',
  'CREATE TABLE IF NOT EXISTS rw_registers (id text PRIMARY KEY, val bigint NOT NULL)',
];

/** toNumber reads a bigint column (pg returns int8 as a string so no precision is lost). */
function toNumber(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`postgres: expected an integer, got ${JSON.stringify(v)}`);
  return n;
}

export const STATEMENTS: Readonly<Record<PgWorkload, Statements>> = {
  'list-append': {
    read: 'SELECT val FROM append_lists WHERE id = $1',
    write: 'INSERT INTO append_lists AS t (id, val) VALUES ($1, ARRAY[$2::bigint]) ON CONFLICT (id) DO UPDATE SET val = t.val || $2::bigint',
    readValue: (column) => (column === null || column === undefined ? null : (column as unknown[]).map(toNumber)),
  },
  'rw-register': {
    read: 'SELECT val FROM rw_registers WHERE id = $1',
    write: 'INSERT INTO rw_registers AS t (id, val) VALUES ($1, $2::bigint) ON CONFLICT (id) DO UPDATE SET val = EXCLUDED.val',
    readValue: (column) => (column === null || column === undefined ? null : toNumber(column)),
  },
};
