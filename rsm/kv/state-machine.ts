// rsm/kv/state-machine.ts — the replicated key-value state machine, with per-client deduplication.
//
// Every protocol applies ClientCommands through this one class, so "what a write means" is
// the same everywhere. Deduplication: a retried command (same clientId and seq) is applied at
// most once and gets its first reply again.
import type { ClientCommand, KvCommand, KvResult, MicroOp } from '../core/types.ts';

/** KvSnapshot: everything needed to rebuild the state machine (state transfer, snapshots). */
export interface KvSnapshot {
  data: Array<[string, unknown]>;
  sessions: Array<[string, { seq: number; result: KvResult }]>;
  appliedIndex: number;
}

/** valuesEqual compares JSON values structurally (cas expectations). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

export class KvStateMachine {
  private readonly data = new Map<string, unknown>();
  private readonly sessions = new Map<string, { seq: number; result: KvResult }>();
  /** appliedIndex counts commands applied (duplicates excluded). */
  appliedIndex = 0;

  /** apply runs one command, or returns the remembered result of a duplicate. */
  apply(command: ClientCommand): KvResult {
    const session = this.sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      if (command.seq === session.seq) return session.result;
      // An older seq than the last reply: the client already moved on, so this is a stray retry.
      return { type: 'fail', error: `stale request: seq ${command.seq} < last applied ${session.seq}` };
    }
    const result = this.execute(command.cmd);
    this.sessions.set(command.clientId, { seq: command.seq, result });
    this.appliedIndex += 1;
    return result;
  }

  /** isDuplicate tells whether apply would return a remembered reply. */
  isDuplicate(command: ClientCommand): boolean {
    const session = this.sessions.get(command.clientId);
    return session !== undefined && command.seq <= session.seq;
  }

  /** read returns a key's value without going through apply (local reads). */
  read(key: string): unknown {
    return this.data.has(key) ? this.data.get(key) : null;
  }

  snapshot(): KvSnapshot {
    return {
      data: [...this.data.entries()].map(([k, v]) => [k, structuredClone(v)]),
      sessions: [...this.sessions.entries()].map(([k, s]) => [k, structuredClone(s)]),
      appliedIndex: this.appliedIndex,
    };
  }

  static restore(snapshot: KvSnapshot): KvStateMachine {
    const sm = new KvStateMachine();
    for (const [k, v] of snapshot.data) sm.data.set(k, structuredClone(v));
    for (const [k, s] of snapshot.sessions) sm.sessions.set(k, structuredClone(s));
    sm.appliedIndex = snapshot.appliedIndex;
    return sm;
  }

  private execute(cmd: KvCommand): KvResult {
    switch (cmd.kind) {
      case 'read':
        return { type: 'ok', value: this.read(cmd.key) };
      case 'write':
        this.data.set(cmd.key, cmd.value);
        return { type: 'ok' };
      case 'cas': {
        const current = this.read(cmd.key);
        if (!valuesEqual(current, cmd.expected)) {
          return { type: 'fail', error: `cas mismatch: expected ${JSON.stringify(cmd.expected)}, found ${JSON.stringify(current)}` };
        }
        this.data.set(cmd.key, cmd.value);
        return { type: 'ok' };
      }
      case 'txn':
        return this.executeTxn(cmd.ops);
      default: {
        const never: never = cmd;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  /** executeTxn applies micro-ops atomically: all writes land together, or none do. */
  private executeTxn(ops: MicroOp[]): KvResult {
    const overlay = new Map<string, unknown>();
    const get = (k: string): unknown => (overlay.has(k) ? overlay.get(k) : this.read(k));
    const completed: MicroOp[] = [];
    for (const op of ops) {
      const [f, k, v] = op;
      if (op[0] === 'cas') {
        const [expected, next] = op[2];
        const current = get(k);
        if (!valuesEqual(current, expected)) {
          return { type: 'fail', error: `cas mismatch on key ${k}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(current)}` };
        }
        overlay.set(k, next);
        completed.push(['cas', k, [expected, next]]);
      } else if (f === 'r') {
        completed.push(['r', k, structuredClone(get(k))]);
      } else if (f === 'w') {
        overlay.set(k, v);
        completed.push(['w', k, v]);
      } else if (f === 'append') {
        const current = get(k);
        if (current !== null && !Array.isArray(current)) {
          return { type: 'fail', error: `append to key ${k}, which holds a non-list value` };
        }
        overlay.set(k, [...((current as unknown[] | null) ?? []), v]);
        completed.push(['append', k, v]);
      } else {
        return { type: 'fail', error: `unknown micro-op ${JSON.stringify(f)}` };
      }
    }
    for (const [k, v] of overlay) this.data.set(k, v);
    return { type: 'ok', value: completed };
  }
}
