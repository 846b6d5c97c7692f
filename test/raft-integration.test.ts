// test/raft-integration.test.ts — 5 real raft processes: leader kill, minority partition, restart and snapshot catch-up.
//
// One scenario, in order: find the leader and kill it; the rest elect a new one and writes
// succeed again within a bound. Cut the new leader off alone (a minority); the majority side
// elects another leader and writes succeed again. Meanwhile the killed node misses far more than
// snapshotEntries=50 entries, so every live node compacts past its log. Heal, restart it: it can
// only catch up through InstallSnapshot, which GET /status counts (snapshotsInstalled) and shows
// (snapshotIndex beyond what it held). It then has the leader's appliedIndex and, with reads=any
// (local reads), serves the latest value of every key.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import type { NodeStatus } from '../rsm/core/types.ts';
import { createRsmDb } from '../db/rsm.ts';
import { KvClient } from '../rsm/client/client.ts';

/** AVAILABLE_WITHIN_MS: how long a connected majority may take to serve a write again. */
const AVAILABLE_WITHIN_MS = 5000;
const SNAPSHOT_ENTRIES = 50;

const roots: string[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
afterAll(() => {
  agent.destroy();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** until polls check every 50 ms until it returns a value, or throws after timeoutMs. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== null) return v;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** leaderAmong: the node that says it leads, agreed on by a majority of the given nodes' status. */
async function leaderAmong(c: LocalCluster, nodes: string[]): Promise<string | null> {
  const statuses = await Promise.all(nodes.map((n) => c.status(n)));
  const leaders = statuses.filter((s): s is NodeStatus => s?.role === 'leader');
  if (leaders.length !== 1) return null;
  const backers = statuses.filter((s) => s !== null && s.term === leaders[0].term && s.primary === leaders[0].id);
  return backers.length >= 3 ? leaders[0].id : null;
}

/** Writer: writes key→value with fresh clients until one is acknowledged; remembers what was acked. */
class Writer {
  readonly acked = new Map<string, number>();
  /** lastOk: the node that acknowledged last; the next write starts there, as a Jepsen client keeps its
   * connection. Starting every write at the first endpoint would make each one wait out a dead or cut-off node. */
  private lastOk = 0;
  constructor(private readonly endpoints: Record<string, string>) {}

  /** writeOk keeps trying (new client after an info, as a Jepsen process would) and returns the ms it took. */
  async writeOk(key: string, value: number, withinMs: number): Promise<number> {
    const start = Date.now();
    const ids = Object.keys(this.endpoints);
    for (let attempt = 0; Date.now() - start < withinMs; attempt += 1) {
      const at = (this.lastOk + attempt) % ids.length;
      // Few hops per attempt, so one attempt cannot outlast the bound by much.
      const client = new KvClient({
        endpoints: this.endpoints, agent, mode: 'follow-redirect', requestTimeoutMs: 800, hopsMax: 2, preferred: ids[at],
      });
      const r = await client.write(key, value);
      if (r.type === 'ok') {
        this.acked.set(key, value);
        this.lastOk = at;
        return Date.now() - start;
      }
      await sleep(30);
    }
    throw new Error(`write ${key}=${value} not acknowledged within ${withinMs} ms`);
  }

  /** burst writes count values over 8 keys, 8 writers at once, each acknowledged within the bound. */
  async burst(prefix: string, count: number): Promise<void> {
    const keys = Array.from({ length: 8 }, (_, i) => `${prefix}${i}`);
    await Promise.all(keys.map(async (key, w) => {
      for (let v = w; v < count; v += keys.length) await this.writeOk(key, v, AVAILABLE_WITHIN_MS);
    }));
  }
}

describe('raft with 5 real processes', () => {
  it('keeps serving through a leader kill and a minority partition; the restarted node catches up by InstallSnapshot', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-raft-it-'));
    roots.push(root);
    const c = new LocalCluster(
      { dataDir: path.join(root, 'data'), logDir: path.join(root, 'logs') },
      createRsmDb({ protocol: 'raft', nodeCount: 5, reads: 'any', seed: 11, options: { snapshotEntries: String(SNAPSHOT_ENTRIES) } }),
    );
    // phases records when each step finished, so a failure or timeout says where it was.
    const t0 = Date.now();
    const phases: string[] = [];
    const mark = (phase: string): void => {
      phases.push(`${phase} at ${Date.now() - t0} ms`);
    };
    // If the test's own timeout is about to fire, say where it got to.
    const watchdog = setTimeout(() => process.stderr.write(`raft integration: slow; phases so far: ${phases.join('; ')}\n`), 35_000);
    try {
      await c.setup();
      mark('setup');
      const endpoints = Object.fromEntries(c.nodes.map((n) => [n, c.clientEndpoint(n).httpUrl]));
      const w = new Writer(endpoints);
      const first = await until('a first leader', 8000, () => leaderAmong(c, c.nodes));
      await w.burst('a', 16);
      mark('first leader and 16 writes');
      const before = (await c.status(first))!;

      // 1. Kill the leader: the other four elect a new one and serve again within the bound.
      await c.kill(first);
      const alive = c.nodes.filter((n) => n !== first);
      const afterKillMs = await w.writeOk('k', 1, AVAILABLE_WITHIN_MS);
      const second = await until('a second leader', 4000, () => leaderAmong(c, alive));
      expect(second).not.toBe(first);
      mark(`killed ${first}, ${second} leads`);

      // 2. Cut the new leader off alone: 3 of 5 remain connected, elect a third, keep serving.
      const grudge: Record<string, string[]> = { [second]: c.nodes.filter((n) => n !== second) };
      for (const n of c.nodes) if (n !== second) grudge[n] = [second];
      await c.partition(grudge);
      const majority = alive.filter((n) => n !== second);
      const afterCutMs = await w.writeOk('k', 2, AVAILABLE_WITHIN_MS);
      const third = await until('a leader in the majority', 4000, () => leaderAmong(c, majority));
      expect(majority).toContain(third);
      // Far more than snapshotEntries entries while the killed node is down: logs compact past it.
      mark(`cut ${second} off, ${third} leads`);
      await w.burst('b', 4 * SNAPSHOT_ENTRIES);
      mark(`${4 * SNAPSHOT_ENTRIES} writes`);
      const leaderNow = (await c.status(third))!;
      expect(leaderNow.snapshotIndex as number).toBeGreaterThan(before.logLastIndex as number);
      expect(leaderNow.logFirstIndex as number).toBeGreaterThan((before.logLastIndex as number) + 1);

      // 3. Heal, restart the killed node: it catches up through InstallSnapshot.
      await c.heal();
      await c.start(first);
      const restartedAtMs = Date.now();
      await w.writeOk('k', 3, AVAILABLE_WITHIN_MS);
      const leader = await until('one leader after healing', 4000, () => leaderAmong(c, c.nodes));
      const target = (await c.status(leader))!.appliedIndex as number;
      const caughtUp = await until(`${first} to reach applied index ${target}`, 5000, async () => {
        const s = await c.status(first);
        return s !== null && (s.appliedIndex as number) >= target ? s : null;
      });
      const catchUpMs = Date.now() - restartedAtMs;
      mark(`${first} restarted and caught up`);
      expect(caughtUp.snapshotsInstalled as number).toBeGreaterThanOrEqual(1);
      expect(caughtUp.snapshotIndex as number).toBeGreaterThan(before.logLastIndex as number);
      // reads=any reads the restarted node's own state machine: every acked value is there.
      const local = new KvClient({ endpoints: { [first]: endpoints[first] }, agent, mode: 'single-node' });
      for (const [key, value] of w.acked) expect(await local.read(key)).toMatchObject({ type: 'ok', value });
      process.stdout.write(`raft integration: first write ok ${afterKillMs} ms after the leader kill, ${afterCutMs} ms after `
        + `the partition; ${first} caught up ${catchUpMs} ms after restart via InstallSnapshot at ${String(caughtUp.snapshotIndex)}\n`);
    } catch (err) {
      throw new Error(`${(err as Error).message} (after: ${phases.join('; ') || 'nothing'})`);
    } finally {
      const timer = setTimeout(() => process.stderr.write(`raft integration: still tearing down; phases: ${phases.join('; ')}\n`), 5000);
      await c.teardown();
      clearTimeout(timer);
      clearTimeout(watchdog);
    }
    for (const n of c.nodes) expect(c.pid(n) === null || c.nodeState(n) === 'stopped').toBe(true);
  }, 40_000);
});
