// workloads/index.ts — the registry of workloads by name (a new workload is one file plus one line here).
import { registerWorkload } from './register.ts';
import type { Workload } from './types.ts';

const WORKLOADS: Record<string, Workload> = {
  [registerWorkload.name]: registerWorkload,
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
