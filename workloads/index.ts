// workloads/index.ts — the registry of workloads by name (a new workload is one file plus one line here).
import { bankWorkload } from './bank.ts';
import { counterWorkload } from './counter.ts';
import { listAppendWorkload } from './list-append.ts';
import { registerWorkload } from './register.ts';
import { rwRegisterWorkload } from './rw-register.ts';
import { setWorkload } from './set.ts';
import type { Workload } from './types.ts';

const WORKLOADS: Record<string, Workload> = {
  [registerWorkload.name]: registerWorkload,
  [setWorkload.name]: setWorkload,
  [counterWorkload.name]: counterWorkload,
  [bankWorkload.name]: bankWorkload,
  [listAppendWorkload.name]: listAppendWorkload,
  [rwRegisterWorkload.name]: rwRegisterWorkload,
};

/** WORKLOAD_NAMES lists every name getWorkload accepts (for --workload help and validation). */
export const WORKLOAD_NAMES: readonly string[] = Object.keys(WORKLOADS);

/** getWorkload finds a workload by name; throws naming the valid ones. */
export function getWorkload(name: string): Workload {
  const workload = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (workload === undefined) throw new Error(`unknown workload "${name}"; expected one of ${WORKLOAD_NAMES.join(', ')}`);
  return workload;
}

export type { Workload } from './types.ts';
