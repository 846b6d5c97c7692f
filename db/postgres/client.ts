// db/postgres/client.ts — one process's PostgreSQL connection running Elle txns as SQL transactions.
//
// A txn is BEGIN ISOLATION LEVEL …; one statement per micro-op; COMMIT, on one connection
// opened lazily. What the outcome tells (Jepsen's semantics, DESIGN.md):
// - everything before COMMIT is sent: whatever goes wrong (a serialization failure, a dropped
//   connection, our deadline) the transaction never commits — `fail`;
// - COMMIT answered with an error of a class that means the transaction was rolled back
//   (40 transaction rollback: 40001 serialization failure, 40P01 deadlock; 23 integrity;
//   22 data; 25 invalid state) — `fail`;
// - COMMIT sent and then the connection lost, the deadline hit, or any other error — `info`.
// After a lost connection or a deadline the socket is destroyed (a paused server would make a
// polite end() wait forever) and the next txn reconnects.
import * as net from 'node:net';
import pg from 'pg';
import type { MicroOp } from '../../history/op.ts';
import type { Completion, KvClientLike } from '../../workloads/types.ts';
import { PG_ISOLATIONS, STATEMENTS, type PgIsolation, type PgWorkload } from './sql.ts';

/** ROLLED_BACK_CLASSES: SQLSTATE classes whose error at COMMIT means the transaction did not commit. */
const ROLLED_BACK_CLASSES = ['40', '23', '22', '25'];

/** PgClientOptions: where one client connects and how its txns run. */
export interface PgClientOptions {
  node: string;
  host: string;
  port: number;
  user: string;
  database: string;
  isolation: PgIsolation;
  workload: PgWorkload;
  /** Bound on one txn, connect included; past it the txn is fail (before COMMIT) or info. */
  txnTimeoutMs: number;
}

/** sqlState is the SQLSTATE of a server error, or null for anything else (a socket error, our deadline). */
export function sqlState(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** completionOfError maps an error to fail or info, given whether COMMIT had been sent (see the file comment). */
export function completionOfError(err: unknown, commitSent: boolean, node: string): Completion {
  const state = sqlState(err);
  const message = err instanceof Error ? err.message : String(err);
  const error = state === null ? message : `${state} ${message}`;
  if (!commitSent) return { type: 'fail', error, node };
  if (state !== null && ROLLED_BACK_CLASSES.includes(state.slice(0, 2))) return { type: 'fail', error, node };
  return { type: 'info', error, node };
}

/**
 * CONNECT_BACKOFF_MS: a refused connection (the server killed) is answered after this pause, so
 * a thread does not spin thousands of instant fails into the history while the node is down.
 */
const CONNECT_BACKOFF_MS = 200;

/** Deadline: the txn's time bound as an error a statement can lose its race to. */
class DeadlineError extends Error {}

/** PgTxnClient implements the txn call of KvClientLike over one pg connection (see the file comment). */
export class PgTxnClient implements KvClientLike {
  private conn: pg.Client | null = null;
  private socket: net.Socket | null = null;
  private closed = false;

  constructor(readonly opts: PgClientOptions) {}

  read(): Promise<Completion> {
    return Promise.reject(new Error('postgres: no single-key client; use --workload list-append or rw-register'));
  }

  write(): Promise<Completion> {
    return this.read();
  }

  cas(): Promise<Completion> {
    return this.read();
  }

  async txn(mops: MicroOp[]): Promise<Completion> {
    const { node } = this.opts;
    const statements = STATEMENTS[this.opts.workload];
    let commitSent = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`postgres: txn timeout after ${this.opts.txnTimeoutMs} ms`)), this.opts.txnTimeoutMs);
    });
    deadline.catch(() => undefined);
    const bounded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, deadline]);
    try {
      const conn = await bounded(this.connection());
      await bounded(conn.query(`BEGIN ISOLATION LEVEL ${PG_ISOLATIONS[this.opts.isolation]}`));
      const done: MicroOp[] = [];
      for (const [f, key, value] of mops) {
        if (f === 'r') {
          const res = await bounded(conn.query({ text: statements.read, values: [key] }));
          done.push([f, key, statements.readValue(res.rows[0]?.val ?? null)] as MicroOp);
        } else {
          await bounded(conn.query({ text: statements.write, values: [key, value] }));
          done.push([f, key, value] as MicroOp);
        }
      }
      commitSent = true;
      const commit = await bounded(conn.query('COMMIT'));
      // COMMIT of a transaction the server already aborted answers ROLLBACK, not an error.
      if (commit.command === 'ROLLBACK') return { type: 'fail', error: 'postgres: COMMIT answered ROLLBACK', node };
      return { type: 'ok', value: done, node };
    } catch (err) {
      if (sqlState(err) !== null && this.conn !== null && !commitSent) {
        // The server is there and the connection usable: leave the aborted transaction.
        await bounded(this.conn.query('ROLLBACK')).catch(() => this.drop());
      } else {
        this.drop();
      }
      return completionOfError(err, commitSent, node);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  /** connection opens the connection on first use (and after a drop). */
  private async connection(): Promise<pg.Client> {
    if (this.closed) throw new Error('postgres: client closed');
    if (this.conn !== null) return this.conn;
    const conn = new pg.Client({
      host: this.opts.host,
      port: this.opts.port,
      user: this.opts.user,
      database: this.opts.database,
      connectionTimeoutMillis: this.opts.txnTimeoutMs,
      application_name: `splitbrain ${this.opts.node}`,
      stream: () => {
        this.socket = new net.Socket();
        return this.socket;
      },
    });
    // An error on an idle connection (the server killed) must not crash the control node.
    conn.on('error', () => this.drop());
    this.conn = conn;
    try {
      await conn.connect();
    } catch (err) {
      this.drop();
      await new Promise((r) => setTimeout(r, CONNECT_BACKOFF_MS));
      throw err;
    }
    return conn;
  }

  /** drop forgets the connection and destroys its socket at once. */
  private drop(): void {
    this.socket?.destroy();
    this.socket = null;
    const conn = this.conn;
    this.conn = null;
    conn?.end().catch(() => undefined);
  }
}
