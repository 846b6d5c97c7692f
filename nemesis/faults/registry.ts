// nemesis/faults/registry.ts — every fault kind, in a fixed order (schedule forks, legend and help follow it).
//
// Adding a kind: write nemesis/faults/<kind>.ts exporting a FaultModule and add it to FAULTS.
// Append new kinds at the end: each kind draws from the seed's fork at its position, so the
// order keeps existing seeds' schedules unchanged. A kind that changes who the servers are
// (membership, replace) says so in changesServers, with the capability a system needs to survive
// it; a Db offers every other kind without naming it (db/rsm.ts).
import type { ClusterSpec } from '../../cluster/types.ts';
import type { NemesisOp } from '../types.ts';
import { clockFault } from './clock.ts';
import { corruptFileFault } from './corrupt-file.ts';
import type { FaultModule, YamlEntry } from './fault.ts';
import { killFault } from './kill.ts';
import { loseUnsyncedFault } from './lose-unsynced.ts';
import { membershipFault } from './membership.ts';
import { partitionFault } from './partition.ts';
import { packetFault } from './packet.ts';
import { pauseFault } from './pause.ts';
import { replaceFault } from './replace.ts';

export const FAULTS = [partitionFault, killFault, pauseFault, clockFault, packetFault, loseUnsyncedFault, corruptFileFault, membershipFault, replaceFault] as const satisfies readonly FaultModule[];

/** FaultKind: a registered kind's --nemesis name. */
export type FaultKind = (typeof FAULTS)[number]['kind'];

export const FAULT_KINDS: readonly FaultKind[] = FAULTS.map((m) => m.kind);

const BY_F = new Map<string, FaultModule>();
const BY_DO = new Map<string, { module: FaultModule; entry: YamlEntry }>();
for (const m of FAULTS as readonly FaultModule[]) {
  for (const f of Object.keys(m.ops)) {
    if (BY_F.has(f)) throw new Error(`fault registry: op ${f} belongs to both ${BY_F.get(f)!.kind} and ${m.kind}`);
    BY_F.set(f, m);
  }
  for (const [name, entry] of Object.entries(m.yaml)) {
    if (BY_DO.has(name)) throw new Error(`fault registry: do: ${name} belongs to both ${BY_DO.get(name)!.module.kind} and ${m.kind}`);
    BY_DO.set(name, { module: m, entry });
  }
}

/** NEMESIS_FS: every `f` a nemesis performs. */
export const NEMESIS_FS: readonly string[] = [...BY_F.keys()];

/** DO_NAMES: every `do:` a schedule file accepts. */
export const DO_NAMES: readonly string[] = [...BY_DO.keys()];

/** faultOfF: the kind an op belongs to (undefined: no kind performs it). */
export function faultOfF(f: string): FaultModule | undefined {
  return BY_F.get(f);
}

/**
 * faultRoles: every nemesis f with its kind and whether it opens or closes a fault, as plain
 * data, for checkers (which do not import the nemesis) to find the windows a fault was in force.
 */
export function faultRoles(): Record<string, FaultRole> {
  const roles: Record<string, FaultRole> = {};
  for (const [f, m] of BY_F) roles[f] = { kind: m.kind, role: m.ops[f].role };
  return roles;
}

/** FaultRole: one nemesis f's kind and role (see faultRoles). */
export interface FaultRole {
  kind: string;
  role: 'open' | 'close';
}

/** faultOfKind: the module of a kind name (undefined: not registered). */
export function faultOfKind(kind: string): FaultModule | undefined {
  return (FAULTS as readonly FaultModule[]).find((m) => m.kind === kind);
}

/** yamlEntryOf: the kind and entry of a schedule file's `do:` name. */
export function yamlEntryOf(name: string): { module: FaultModule; entry: YamlEntry } | undefined {
  return BY_DO.get(name);
}

/** ClusterNeeds: the fault machinery a cluster is started with (the ClusterSpec switches). */
export type ClusterNeeds = Required<Pick<ClusterSpec, 'fakeTime' | 'lazyDisk' | 'dataFiles'>>;

/** clusterNeeds: what a cluster must be started with to run `ops` (fakeTime for clock ops, ...). */
export function clusterNeeds(ops: readonly NemesisOp[]): ClusterNeeds {
  const out: ClusterNeeds = { fakeTime: false, lazyDisk: false, dataFiles: false };
  for (const m of FAULTS as readonly FaultModule[]) {
    const needs = m.clusterNeeds?.(ops);
    for (const k of Object.keys(out) as Array<keyof ClusterNeeds>) out[k] ||= needs?.[k] === true;
  }
  return out;
}

/** kindsNeeds: what a cluster must be started with for a combined schedule of these kinds. */
export function kindsNeeds(kinds: readonly string[]): ClusterNeeds {
  const ops = kinds.flatMap((k) => Object.keys(faultOfKind(k)?.ops ?? {}).map((f) => ({ f })));
  return clusterNeeds(ops);
}
