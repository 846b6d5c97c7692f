// workloads/register.ts — independent read/write/cas registers, checked per key for linearizability.
import type { Op } from '../history/op.ts';
import { checkLinearizable, type PartitionFailure } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import { checkConvergence } from '../checker/convergence/index.ts';
import { composeVerdicts } from '../checker/types.ts';
import type { Rng } from '../lib/rng.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadCheckOptions, WorkloadContext, WorkloadResult } from './types.ts';
import { finalKeysOf, listGenerator } from './types.ts';

/** REGISTER_VALUES: the value domain is small so cas often succeeds and reads collide. */
const REGISTER_VALUES = 5;

/**
 * OPS_PER_KEY: about this many ops go to each key before the threads move on to fresh keys.
 * Rotating keys bounds the ops — and the open info ops, which can be linearized anywhere
 * later and so explain away almost anything on a long-lived key — per key, which keeps the
 * per-key search small and anomalies visible, as Jepsen's independent generator does (it
 * limits each key to 100 ops). The rotation counts each thread's own ops, not a global
 * count, so a seed fixes every thread's keys whatever the timing.
 */
export const OPS_PER_KEY = 100;

/** opsPerThreadPerKey: each thread's share of a key generation (keyCount keys × OPS_PER_KEY ops). */
export function opsPerThreadPerKey(ctx: Pick<WorkloadContext, 'keyCount' | 'concurrency'>): number {
  return Math.max(1, Math.round((OPS_PER_KEY * ctx.keyCount) / ctx.concurrency));
}

/** registerOp draws one op: read, write or cas with equal odds, on one of keyCount live keys. */
export function registerOp(rng: Rng, opNumber: number, keyCount: number, opsPerGeneration: number): OpSpec {
  const generation = Math.floor(opNumber / opsPerGeneration);
  const key = generation * keyCount + rng.int(keyCount);
  switch (rng.int(3)) {
    case 0:
      return { f: 'read', key, value: null };
    case 1:
      return { f: 'write', key, value: rng.int(REGISTER_VALUES) };
    default:
      return { f: 'cas', key, value: [rng.int(REGISTER_VALUES), rng.int(REGISTER_VALUES)] };
  }
}

function generator(_thread: number, rng: Rng, ctx: WorkloadContext): OpGenerator {
  const perGeneration = opsPerThreadPerKey(ctx);
  let opNumber = 0;
  return { next: () => registerOp(rng, opNumber++, ctx.keyCount, perGeneration) };
}

/**
 * finalGenerator: once everything is healed every final thread reads every key the main phase
 * drew (finalKeysOf), so each key is read through every node's client: copies that never
 * converged (a lost update, a diverged replica) show up as reads that disagree. Keys are frozen
 * by then — each key's generation of writes is over — so disagreement cannot be an ordinary race.
 */
function finalGenerator(thread: number, ctx: WorkloadContext, drawn: readonly OpSpec[]): OpGenerator {
  const used = new Set<number>();
  for (const op of drawn) {
    if (typeof op.key === 'number') used.add(op.key);
  }
  const keys = finalKeysOf(thread, ctx, [...used].sort((a, b) => a - b));
  return listGenerator(keys.map((key) => ({ f: 'read', key, value: null })));
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  const key = String(op.key);
  switch (op.f) {
    case 'read':
      return client.read(key);
    case 'write':
      return client.write(key, op.value);
    case 'cas': {
      const pair = op.value as [unknown, unknown];
      return client.cas(key, pair[0], pair[1]);
    }
    default:
      throw new Error(`register: unknown f ${JSON.stringify(op.f)}`);
  }
}

/**
 * describeFailure names a key's anomaly by the op that could not be linearized: a read means
 * a stale or divergent value was observed (split brain, lost write), a cas that it acted on a
 * value the register could not hold.
 */
function describeFailure(failure: PartitionFailure): string {
  const failing = failure.ops.find((op) => op.id === failure.failingOpIds[0]);
  const kind = failing === undefined ? 'history' : failing.f === 'read' ? 'read (stale or divergent value)' : failing.f;
  const why = failure.lines.find((line) => line.includes('cannot be linearized')) ?? failure.lines.at(-1) ?? 'no linearization';
  return `nonlinearizable ${kind} on key ${JSON.stringify(failure.key)}: ${why}`;
}

async function check(history: readonly Op[], opts: WorkloadCheckOptions): Promise<WorkloadResult> {
  const clientOps = history.filter((op) => op.process !== 'nemesis');
  const linear = await checkLinearizable(clientOps, getModel('multi-register', null), { timeoutMs: opts.timeoutMs });
  const anomalies = linear.failures.map(describeFailure);
  if (linear.valid === false && anomalies.length === 0) anomalies.push('nonlinearizable history');
  // A store that stamps its writes last-writer-wins (rsm gossip) promises convergence, not
  // linearizability: check that too, so a working one (converged) and a broken one differ.
  if (!clientOps.some((op) => op.type === 'ok' && Array.isArray(op.stamp))) {
    return { kind: 'register', valid: linear.valid, anomalies, linearizable: linear };
  }
  const convergence = checkConvergence(history, { faultRoles: opts.faultRoles });
  return {
    kind: 'register', valid: composeVerdicts([linear.valid, convergence.valid]), anomalies: [...anomalies, ...convergence.anomalies],
    linearizable: linear, convergence,
  };
}

/** registerWorkload: Jepsen's linearizable-register test over independent keys. */
export const registerWorkload: Workload = {
  name: 'register',
  description: 'independent keys with read/write/cas over a small value domain, linearizability checked per key',
  checkModel: { name: 'multi-register', init: null },
  generator,
  finalGenerator,
  invoke,
  check,
};
