// control/commands/check-output.ts — what both kinds of `check` share: result JSON, flag names, txn workloads.
// Apart from check-workload.ts, so a model check never loads the workloads and their clients.

/** TXN_WORKLOADS: the workloads a bare history file (JSONL or Jepsen/Elle EDN) can be checked as. */
export const TXN_WORKLOADS = ['list-append', 'rw-register'] as const;

/** toJson renders a result as the JSON `check` prints and writes (Infinity as null). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v === Infinity ? null : v), 2);
}

/** outFlag names where a result file came from, for errors: the --out flag or the run directory. */
export function outFlag(out: string | undefined): string {
  return out === undefined ? 'check RUN-DIR' : '--out';
}
