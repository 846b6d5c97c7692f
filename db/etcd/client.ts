// db/etcd/client.ts — the workload client for etcd through its own gRPC client (npm etcd3).
//
// One client talks to one member only (no failover, no retries: etcd3's default policies
// retry on another host, which would hide where an op ran and re-send writes). Values are
// JSON text. Outcomes follow Jepsen's rules:
// - a read has no effect, so any error is `fail`;
// - a write, cas or txn error (timeout, connection lost, "leader changed") is `info`: etcd may
//   have committed it; unless gRPC says it never sent the call (no connection): `fail`;
// - a compare that did not hold is `fail` (etcd's txn answered succeeded=false: nothing applied).
// Reads are linearizable (etcd's default, ReadIndex) unless `reads: 'serializable'`, which
// etcd serves from the member's own state and documents as possibly stale.
import { Etcd3, type IKeyValue, type IRequestOp, type ICompare } from 'etcd3';
import { noop } from 'cockatiel';
import type { MicroOp } from '../../history/op.ts';
import type { Completion, KvClientLike } from '../../workloads/types.ts';
import { planTxn, touchedKeys, type Snapshot } from './txn-plan.ts';

/** ETCD_READ_MODES: the values of --etcd-reads. */
export const ETCD_READ_MODES = ['linearizable', 'serializable'] as const;
export type EtcdReadMode = (typeof ETCD_READ_MODES)[number];

/** EtcdClientOptions: which member, how reads are served, and the per-call deadline. */
export interface EtcdClientOptions {
  node: string;
  url: string;
  reads: EtcdReadMode;
  requestTimeoutMs: number;
  /** txnAttemptsMax: guarded txn attempts before a compare failure is reported as `fail`. */
  txnAttemptsMax?: number;
}

const TXN_ATTEMPTS_MAX = 5;

/** etcdConnection: an etcd3 client bound to one member, with retries and circuit breakers off. */
export function etcdConnection(url: string, requestTimeoutMs: number): Etcd3 {
  return new Etcd3({
    hosts: [url],
    dialTimeout: requestTimeoutMs,
    faultHandling: { global: noop, host: () => noop },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
  });
}

function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function decode(kv: IKeyValue | undefined): unknown {
  return kv === undefined ? null : (JSON.parse(kv.value.toString('utf8')) as unknown);
}

/**
 * neverSent: gRPC failed the call before sending it (the channel had no connection), so etcd
 * certainly did not apply it and a write may be `fail`.
 */
function neverSent(error: unknown): boolean {
  return error instanceof Error && /\bNo connection established\b/.test(error.message);
}

/** writeFailure: `fail` when the write never left, `info` otherwise (etcd may have committed it). */
function writeFailure(error: unknown): Completion['type'] {
  return neverSent(error) ? 'fail' : 'info';
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** EtcdKvClient implements KvClientLike on one etcd member; see the file comment. */
export class EtcdKvClient implements KvClientLike {
  private readonly etcd: Etcd3;
  private readonly serializable: boolean;
  private readonly txnAttemptsMax: number;

  constructor(private readonly opts: EtcdClientOptions) {
    this.etcd = etcdConnection(opts.url, opts.requestTimeoutMs);
    this.serializable = opts.reads === 'serializable';
    this.txnAttemptsMax = opts.txnAttemptsMax ?? TXN_ATTEMPTS_MAX;
  }

  async read(key: string): Promise<Completion> {
    try {
      const res = await this.etcd.kv.range({ key: Buffer.from(key), serializable: this.serializable });
      return this.done('ok', decode(res.kvs[0]));
    } catch (error) {
      return this.done('fail', undefined, errorText(error));
    }
  }

  async write(key: string, value: unknown): Promise<Completion> {
    try {
      await this.etcd.kv.put({ key: Buffer.from(key), value: encode(value) });
      return this.done('ok');
    } catch (error) {
      return this.done(writeFailure(error), undefined, errorText(error));
    }
  }

  /** cas: one txn comparing the stored value (or, for an expected null, that the key is absent). */
  async cas(key: string, expected: unknown, value: unknown): Promise<Completion> {
    const k = Buffer.from(key);
    const compare: ICompare = expected === null
      ? { key: k, target: 'Version', result: 'Equal', version: 0 }
      : { key: k, target: 'Value', result: 'Equal', value: encode(expected) };
    try {
      const res = await this.etcd.kv.txn({ compare: [compare], success: [{ request_put: { key: k, value: encode(value) } }] });
      return res.succeeded ? this.done('ok') : this.done('fail', undefined, `cas mismatch on key ${key}`);
    } catch (error) {
      return this.done(writeFailure(error), undefined, errorText(error));
    }
  }

  /**
   * txn: read the touched keys in one read-only etcd txn, plan the micro-ops on that snapshot,
   * then commit the writes guarded by the keys' mod revisions (txn-plan.ts). A read-only txn is
   * its snapshot. A compare failure retries from the read, up to txnAttemptsMax, then `fail`.
   */
  async txn(mops: MicroOp[]): Promise<Completion> {
    const keys = touchedKeys(mops);
    for (let attempt = 1; attempt <= this.txnAttemptsMax; attempt += 1) {
      let snapshot: Snapshot;
      try {
        snapshot = await this.snapshot(keys);
      } catch (error) {
        // Nothing was written yet.
        return this.done('fail', undefined, errorText(error));
      }
      const plan = planTxn(mops, snapshot);
      if ('error' in plan) return this.done('fail', undefined, plan.error);
      if (plan.writes.size === 0) return this.done('ok', plan.completed);
      const compare: ICompare[] = [...snapshot].map(([key, read]) => ({
        key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: read.modRevision,
      }));
      const success: IRequestOp[] = [...plan.writes].map(([key, value]) => ({ request_put: { key: Buffer.from(key), value: encode(value) } }));
      try {
        const res = await this.etcd.kv.txn({ compare, success });
        if (res.succeeded) return this.done('ok', plan.completed);
      } catch (error) {
        return this.done(writeFailure(error), undefined, errorText(error));
      }
    }
    return this.done('fail', undefined, `txn: mod revisions changed under ${this.txnAttemptsMax} attempts`);
  }

  close(): void {
    this.etcd.close();
  }

  /** snapshot reads every key at one revision (a read-only txn of ranges). */
  private async snapshot(keys: readonly string[]): Promise<Snapshot> {
    const success: IRequestOp[] = keys.map((key) => ({ request_range: { key: Buffer.from(key), serializable: this.serializable } }));
    const res = await this.etcd.kv.txn({ compare: [], success });
    const snapshot = new Map<string, { value: unknown; modRevision: string }>();
    keys.forEach((key, i) => {
      const kv = res.responses[i]?.response_range?.kvs[0];
      snapshot.set(key, { value: decode(kv), modRevision: kv?.mod_revision ?? '0' });
    });
    return snapshot;
  }

  private done(type: Completion['type'], value?: unknown, error?: string): Completion {
    const completion: Completion = { type, node: this.opts.node };
    if (value !== undefined) completion.value = value;
    if (error !== undefined) completion.error = error;
    return completion;
  }
}
