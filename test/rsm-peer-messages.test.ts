// test/rsm-peer-messages.test.ts — every protocol's peer-message guard against hostile messages (#19 item 2).
//
// A node checks each peer message with its protocol's guard (rsm/runtime/peer-messages.ts)
// before the core steps it. Here real cores run on the in-memory network with that guard on
// every delivery, as rsm/node/main.ts does. Honest traffic (with crashes, so snapshots and
// rejections occur) makes the corpus: every message of it must pass, and every message type
// must occur. Then fast-check injects hostile messages between normal ticks: random JSON,
// random fields under known types (and "constructor", "__proto__"), and honest messages
// mutated (fields deleted, set to odd or deep values, counts shifted, types swapped). Whatever
// the guard passes must not throw in any core, then or later. FUZZ_RUNS=n sets the runs (400).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import type { ClientCommand, CoreFactory, NodeId } from '../rsm/core/types.ts';
import { PROTOCOLS, PROTOCOL_NAMES, loadCoreFactory } from '../rsm/protocols.ts';
import { messageGuardOf, type MessageGuard } from '../rsm/runtime/peer-messages.ts';
import type { ViewServiceMessage } from '../rsm/viewservice/messages.ts';
import { SimNetwork } from './support/network.ts';

const REPLICAS = ['n1', 'n2', 'n3'];
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 400);

/** Scenario: a protocol's cluster on the in-memory network, and the message types its corpus must show. */
interface Scenario {
  protocol: string;
  options: Record<string, string>;
  types: string[];
}

const SCENARIOS: Scenario[] = [
  { protocol: 'primary-backup', options: { forwardTimeoutTicks: '4' }, types: ['forward', 'forward-ack'] },
  { protocol: 'async-backup', options: { heartbeatIntervalTicks: '2', deadBeats: '3', snapshotEvery: '7' }, types: ['replicate', 'replicate-ack', 'snapshot'] },
  {
    protocol: 'viewservice',
    options: { pingIntervalTicks: '3', deadPings: '3', forwardTimeoutTicks: '4', snapshotEvery: '7' },
    types: ['ping', 'view', 'transfer', 'transfer-ack', 'forward', 'forward-ack', 'forward-reject'],
  },
  {
    protocol: 'raft',
    options: { electionTicks: '6..12', heartbeatTicks: '2', snapshotEntries: '5', maxAppendEntries: '3' },
    types: ['RequestVote', 'RequestVoteReply', 'AppendEntries', 'AppendEntriesReply', 'InstallSnapshot', 'InstallSnapshotReply'],
  },
  { protocol: 'gossip', options: { gossipIntervalTicks: '2', snapshotEvery: '7' }, types: ['digest', 'updates'] },
  {
    protocol: 'paxos',
    options: { electionTicks: '3..5', heartbeatTicks: '2', snapshotEntries: '5', maxLearnBatch: '3' },
    types: ['Prepare', 'Promise', 'Accept', 'Accepted', 'Nack', 'Learn', 'Heartbeat', 'HeartbeatReply', 'Snapshot'],
  },
];

type Json = unknown;
const viaWire = (msg: unknown): Json => JSON.parse(JSON.stringify(msg)) as Json;

/** Cluster: the scenario's nodes, each delivery filtered by the guard of the receiving node's protocol. */
class Cluster {
  readonly net: SimNetwork<unknown>;
  readonly ids: NodeId[];
  /** honest collects every message a core sent, as it travels on the wire. */
  readonly honest: Json[] = [];
  private readonly guards = new Map<NodeId, MessageGuard>();
  private injecting = false;
  private reqIdNext = 1;

  constructor(scenario: Scenario, factories: Map<string, CoreFactory>, seed: number) {
    this.net = new SimNetwork<unknown>({ seed, reorder: true });
    const viewServer = scenario.protocol === 'viewservice' ? 'vs' : undefined;
    const add = (id: NodeId, protocol: string): void => {
      this.net.addNode(id, factories.get(protocol)!, { peers: REPLICAS, viewServer, options: scenario.options, bugs: new Set() });
      this.guards.set(id, messageGuardOf(protocol, REPLICAS));
    };
    if (viewServer !== undefined) add(viewServer, 'viewserver');
    for (const id of REPLICAS) add(id, scenario.protocol);
    this.ids = [...this.net.nodes.keys()];
    // The runtime's edge: a message the guard refuses is dropped, as rsm/node/main.ts drops it.
    this.net.hook((e) => {
      const onWire = viaWire(e.msg);
      if (!this.injecting) this.honest.push(onWire);
      return this.guards.get(e.to)!(onWire) === null;
    });
  }

  guardOf(id: NodeId): MessageGuard {
    return this.guards.get(id)!;
  }

  /** inject delivers one hostile message at once (alone in the queue), through the guard like any other. */
  inject(from: NodeId, to: NodeId, msg: Json): void {
    const inFlight = this.net.queue;
    this.net.queue = [{ from, to, msg }];
    this.injecting = true;
    try {
      this.net.deliverOne();
    } finally {
      this.injecting = false;
      this.net.queue = [...inFlight, ...this.net.queue];
    }
  }

  write(node: NodeId, key: string, value: unknown): void {
    const n = this.reqIdNext++;
    const command: ClientCommand = { clientId: `c${n % 3}`, seq: n, cmd: { kind: 'write', key, value } };
    this.net.request(node, { reqId: n, command });
  }

  read(node: NodeId, key: string): void {
    const n = this.reqIdNext++;
    this.net.request(node, { reqId: n, command: { clientId: `r${n}`, seq: 1, cmd: { kind: 'read', key } } });
  }

  /** bounce crashes a replica and restarts it from its records (volatile state gone). */
  bounce(id: NodeId): void {
    if (!this.net.node(id).up) return;
    this.net.crash(id);
    this.net.restart(id);
  }
}

/** warmUp runs honest traffic with crashes: writes everywhere, the primary down for a while, then another replica. */
function warmUp(c: Cluster, seed: number): void {
  const rng = new SeededRng(seed);
  for (let round = 0; round < 2; round += 1) {
    // Crashing the primary (leader) brings takeovers, view changes, snapshots and rejections.
    const primary = REPLICAS.find((id) => ['primary', 'leader'].includes(c.net.node(id).core.status().role));
    const victim = round === 0 && primary !== undefined ? primary : REPLICAS[rng.int(REPLICAS.length)];
    for (let t = 0; t < 120; t += 1) {
      if (t === 40) c.net.crash(victim);
      if (t === 80) c.net.restart(victim);
      if (t % 3 === 0) c.write(REPLICAS[rng.int(REPLICAS.length)], `k${rng.int(4)}`, t);
      if (t % 7 === 0) c.read(REPLICAS[rng.int(REPLICAS.length)], `k${rng.int(4)}`);
      c.net.run(1);
    }
  }
}

// Hostile values: odd scalars, boundary counts, strangers' ids, deep nesting (within the frame limit).
const deep = (levels: number): Json => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(-1, 0, 1, 2, 0.5, -0, 2 ** 48, 2 ** 48 + 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -1e308),
  fc.constantFrom('', 'n1', 'n2', 'n3', 'vs', 'mallory', '__proto__', 'constructor', null, true, false),
  fc.constantFrom([], {}, [1, 2], ['x', 1], { type: 'ok' }, { type: 'fail' }, JSON.parse('{"__proto__":1}') as Json, deep(120), { a: deep(100) }),
  fc.jsonValue({ maxDepth: 3 }),
);

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'set'; at: number; value: Json }
  | { kind: 'shift'; at: number; by: number }
  | { kind: 'rename'; at: number; id: string }
  | { kind: 'retype'; type: string };

/** paths lists every place in a JSON value (bounded), as key lists from the root. */
function paths(v: Json, limit = 300): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const stack: Array<{ v: Json; path: Array<string | number> }> = [{ v, path: [] }];
  while (stack.length > 0 && out.length < limit) {
    const { v: node, path } = stack.pop()!;
    if (path.length > 0) out.push(path);
    if (typeof node !== 'object' || node === null) continue;
    for (const [k, child] of Object.entries(node)) stack.push({ v: child, path: [...path, Array.isArray(node) ? Number(k) : k] });
  }
  return out;
}

function mutate(msg: Json, m: Mutation): Json {
  if (typeof msg !== 'object' || msg === null) return msg;
  if (m.kind === 'retype') return { ...msg, type: m.type };
  const all = paths(msg);
  if (all.length === 0) return msg;
  const path = all[m.at % all.length];
  let parent = msg as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (m.kind === 'set') parent[last] = viaWire(m.value); // a copy: drawn values are shared
  else if (m.kind === 'rename' && typeof parent[last] === 'string') parent[last] = m.id;
  else if (m.kind === 'shift' && typeof parent[last] === 'number') parent[last] = (parent[last] as number) + m.by;
  return msg;
}

/** hostileMessage draws a message no honest node would send, from the corpus and the scenario's names. */
function hostileMessage(corpus: Json[], types: string[], fieldNames: string[]): fc.Arbitrary<Json> {
  const at = fc.nat();
  // Lies keep the shape (a count shifted, another node's id where one is named: impersonation,
  // strangers); breakages do not (a field deleted or set to an odd value, another type).
  const lie: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ at, by: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(10, 1000)) })
      .map(({ at: n, by }): Mutation => ({ kind: 'shift', at: n, by })),
    fc.record({ at, id: fc.constantFrom(...REPLICAS, 'vs', 'mallory') }).map(({ at: n, id }): Mutation => ({ kind: 'rename', at: n, id })),
  );
  const breakage: fc.Arbitrary<Mutation> = fc.oneof(
    at.map((n): Mutation => ({ kind: 'delete', at: n })),
    fc.record({ at, value: oddValue }).map(({ at: n, value }): Mutation => ({ kind: 'set', at: n, value })),
    fc.constantFrom(...types, 'constructor', '__proto__', 'toString', 'Gossip').map((type): Mutation => ({ kind: 'retype', type })),
  );
  const mutated = (mutation: fc.Arbitrary<Mutation>): fc.Arbitrary<Json> =>
    fc.record({ base: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
      .map(({ base, mutations }) => mutations.reduce((m, mu) => mutate(m, mu), viaWire(corpus[base % corpus.length])));
  const randomFields = fc.record({
    type: fc.constantFrom(...types, 'constructor', '__proto__', 'hasOwnProperty'),
    rest: fc.dictionary(fc.constantFrom(...fieldNames), oddValue),
  }).map(({ type, rest }) => ({ ...rest, type }));
  return fc.oneof(
    { weight: 5, arbitrary: mutated(lie) },
    { weight: 3, arbitrary: mutated(fc.oneof(lie, breakage)) },
    { weight: 1, arbitrary: randomFields },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
}

type Action =
  | { kind: 'inject'; from: number; to: number; msg: Json }
  | { kind: 'run'; ticks: number }
  | { kind: 'write'; node: number; value: number }
  | { kind: 'bounce'; node: number };

function actions(hostile: fc.Arbitrary<Json>): fc.Arbitrary<Action[]> {
  const node = fc.nat({ max: 3 });
  return fc.array(fc.oneof(
    { weight: 5, arbitrary: fc.record({ from: node, to: node, msg: hostile }).map((a): Action => ({ kind: 'inject', ...a })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }).map((ticks): Action => ({ kind: 'run', ticks })) },
    { weight: 2, arbitrary: fc.record({ node, value: fc.nat() }).map((a): Action => ({ kind: 'write', ...a })) },
    { weight: 1, arbitrary: node.map((n): Action => ({ kind: 'bounce', node: n })) },
  ), { minLength: 5, maxLength: 40, size: 'max' });
}

/** OPTIONAL_FIELDS: the top-level message fields peer-messages.ts declares optional(...) (raft snapshots from before membership carry no conf). */
const OPTIONAL_FIELDS = new Set(['InstallSnapshot.conf']);

/** LIES_CRASH: protocols whose asserts a well-formed lie still trips, by design (README "Limits"). */
const LIES_CRASH = new Set(['raft', 'paxos']);

/**
 * DOCUMENTED_LIE: the one assert a well-formed message can still reach outside raft (README
 * "Limits"): a view service primary whose backup answers a forward with another result than
 * its own crashes — divergence means a bug or a peer impersonating a primary, outside the
 * crash-fault model. Reached only after an injected message was accepted.
 */
const DOCUMENTED_LIE = /^assertion failed: primary and backup diverged/;

const factories = new Map<string, CoreFactory>();
beforeAll(async () => {
  for (const name of PROTOCOL_NAMES) factories.set(name, await loadCoreFactory(name));
});

describe('messageGuardOf', () => {
  it('has a guard for every protocol of the registry, and none for a name outside it', () => {
    for (const name of PROTOCOL_NAMES) {
      const guard = messageGuardOf(name, REPLICAS);
      expect(guard({ type: 'no-such-message' }), name).not.toBeNull();
    }
    expect(() => messageGuardOf('no-such-protocol', REPLICAS)).toThrow(/unknown protocol "no-such-protocol"/);
  });

  it('refuses every message for protocols without peers (single, naive)', () => {
    const noMessages = PROTOCOL_NAMES.filter((p) => !SCENARIOS.some((s) => s.protocol === p) && PROTOCOLS[p].role === 'replica');
    expect(noMessages.sort()).toEqual(['naive', 'single']);
    for (const name of noMessages) {
      const guard = messageGuardOf(name, REPLICAS);
      fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (msg) => guard(msg) !== null));
      expect(guard({ type: 'forward', forwardId: 1, command: { clientId: 'c', seq: 1, cmd: { kind: 'read', key: 'k' } } })).toBe('expected no message at all');
    }
  });

  it('names the field at fault, and checks a view against the cluster', () => {
    const vs = messageGuardOf('viewservice', REPLICAS);
    const view = (primary: unknown, backup: unknown): unknown => ({ type: 'view', view: { viewnum: 3, primary, backup } });
    expect(vs(view('n1', 'n2'))).toBeNull();
    expect(vs(view('n1', null))).toBeNull();
    expect(vs(view('mallory', 'n2'))).toBe('view.view.primary must be one of the replicas n1, n2, n3');
    expect(vs(view('n1', 'n1'))).toBe('view.view: the primary is not also the backup');
    expect(vs(view(null, 'n2'))).toBe('view.view: a view with a backup has a primary');
    expect(vs({ type: 'ping', viewnum: 2 ** 53, synced: true })).toBe('ping.viewnum must be an integer in 0..2^48');
    expect(vs({ type: 'constructor' })).toMatch(/^expected a message of type ping, view, /);
    const ab = messageGuardOf('async-backup', REPLICAS);
    expect(ab({ type: 'replicate', epoch: 1, entries: [{ seq: 1, command: { clientId: 'c', seq: 1, cmd: { kind: 'cas', key: 'k' } } }] }))
      .toBe('replicate.entries[0].command: cmd.expected is missing');
    expect(ab({ type: 'snapshot', epoch: 1, seq: 0, snapshot: { data: [], sessions: [['c', { seq: 1, result: { type: 'maybe' } }]], appliedIndex: 0 } }))
      .toBe('snapshot.snapshot.sessions[0][1].result.type must be one of ok, fail');
    expect(messageGuardOf('primary-backup', REPLICAS)({ type: 'forward-ack' })).toBe('forward-ack.forwardId is missing');
  });
});

describe.each(SCENARIOS)('$protocol peer messages', (scenario) => {
  let corpus: Json[] = [];
  beforeAll(() => {
    const c = new Cluster(scenario, factories, 7);
    warmUp(c, 7);
    corpus = c.honest;
  });

  it('honest traffic passes the guard and shows every message type', () => {
    const c = new Cluster(scenario, factories, 11);
    warmUp(c, 11);
    for (const msg of c.honest) for (const id of c.ids) expect(c.guardOf(id)(msg), JSON.stringify(msg)).toBeNull();
    const typesOf = (msgs: Json[]): Set<string> => new Set(msgs.map((m) => (m as { type: string }).type));
    expect(typesOf(c.honest)).toEqual(new Set(scenario.types));
    expect(typesOf(corpus)).toEqual(new Set(scenario.types));
  });

  it('refuses an honest message with a field deleted or of another JSON kind', () => {
    const guard = messageGuardOf(scenario.protocol === 'viewservice' ? 'viewserver' : scenario.protocol, REPLICAS);
    const otherKind = (v: Json): Json[] => [typeof v === 'string' ? 1 : 'x', typeof v === 'boolean' ? 0 : true, Array.isArray(v) ? {} : [], typeof v === 'object' && v !== null && !Array.isArray(v) ? 2 : {}];
    fc.assert(fc.property(fc.nat(), (base) => {
      const honest = corpus[base % corpus.length] as Record<string, Json>;
      for (const field of Object.keys(honest).filter((f) => f !== 'type')) {
        const without = { ...honest };
        delete without[field];
        // A field the schema declares optional (rsm/runtime/peer-messages.ts) may be absent; every other one is named.
        const absent = OPTIONAL_FIELDS.has(`${String(honest.type)}.${field}`) ? null : `${honest.type}.${field} is missing`;
        expect(guard(without), `${JSON.stringify(honest)} without ${field}`).toBe(absent);
        for (const wrong of otherKind(honest[field])) expect(guard({ ...honest, [field]: wrong }), `${field}: ${JSON.stringify(wrong)}`).not.toBeNull();
      }
    }), { numRuns: 100 });
  });

  // Raft's lies (a second leader in a term, a match beyond the log) still trip its asserts by
  // design (README "Limits"), so only the shape properties above are claimed for it.
  if (!LIES_CRASH.has(scenario.protocol)) it('whatever passes the guard never throws in a core, then or later', () => {
    const types = [...new Set(corpus.map((m) => (m as { type: string }).type))];
    const fieldNames = [...new Set(corpus.flatMap((m) => Object.keys(m as object)))];
    let documentedLies = 0;
    let injectedCount = 0;
    let acceptedCount = 0;
    fc.assert(fc.property(fc.nat(), actions(hostileMessage(corpus, types, fieldNames)), (seed, script) => {
      const c = new Cluster(scenario, factories, seed);
      c.net.run(20);
      const node = (i: number): NodeId => c.ids[i % c.ids.length];
      let accepted = false;
      try {
        for (const a of script) {
          if (a.kind === 'inject') {
            const to = node(a.to);
            const from = node(a.from) === to ? node(a.from + 1) : node(a.from);
            const passes = c.guardOf(to)(a.msg) === null;
            accepted ||= passes;
            injectedCount += 1;
            if (passes) acceptedCount += 1;
            c.inject(from, to, a.msg);
          } else if (a.kind === 'run') c.net.run(a.ticks);
          else if (a.kind === 'write') c.write(node(a.node), `k${a.value % 3}`, a.value);
          else c.bounce(node(a.node));
        }
        c.net.run(30);
      } catch (err) {
        if (!(scenario.protocol === 'viewservice' && accepted && DOCUMENTED_LIE.test((err as Error).message))) throw err;
        documentedLies += 1;
      }
    }), { numRuns: NUM_RUNS });
    // The cores were exercised: a good share of the hostile messages passed the guard (about 40%).
    expect(acceptedCount).toBeGreaterThan(injectedCount / 5);
    expect(documentedLies).toBeLessThan(NUM_RUNS / 10);
  }, 120_000);
});

// The sim's send to an unknown node throws, as the transport's does: a view naming a stranger
// would have crashed a replica. The guard's view check is what keeps it out.
describe('viewservice: well-formed lies', () => {
  /** primaryWithForwardInFlight: a synced primary whose forward of one write waits in the queue. */
  function primaryWithForwardInFlight(): { c: Cluster; primary: NodeId; forward: Extract<ViewServiceMessage, { type: 'forward' }> } {
    const c = new Cluster(SCENARIOS[2], factories, 3);
    c.net.run(60);
    const primary = REPLICAS.find((id) => c.net.node(id).core.status().role === 'primary')!;
    expect(c.net.node(primary).core.status()).toMatchObject({ synced: true });
    c.write(primary, 'k', 1);
    const forward = c.net.queue.find((e) => e.from === primary && (e.msg as ViewServiceMessage).type === 'forward')!.msg;
    return { c, primary, forward: forward as Extract<ViewServiceMessage, { type: 'forward' }> };
  }

  it('a forward-reject naming a stranger is refused by the guard (past it, the replica would send to the stranger)', () => {
    const { c, primary } = primaryWithForwardInFlight();
    const status = c.net.node(primary).core.status();
    const lie: ViewServiceMessage = {
      type: 'forward-reject', view: { viewnum: (status.view ?? 0) + 5, primary, backup: 'mallory' }, stream: 's', index: 1,
      reason: 'lie', needTransfer: false,
    };
    expect(c.guardOf(primary)(lie)).toBe('forward-reject.view.backup must be one of the replicas n1, n2, n3');
    expect(c.net.node(primary).core.step('n1', lie).send.map((s) => s.to)).toContain('mallory');
  });

  it('a forward-ack with another result than the primary\'s still crashes it: the crash-fault assumption', () => {
    const { c, primary, forward } = primaryWithForwardInFlight();
    const lie: ViewServiceMessage = {
      type: 'forward-ack', viewnum: forward.viewnum, stream: forward.stream, index: forward.index, result: { type: 'fail', error: 'lie' },
    };
    expect(c.guardOf(primary)(lie)).toBeNull();
    const backup = c.net.node(primary).core.status().backup as NodeId;
    expect(() => c.net.node(primary).core.step(backup, lie)).toThrow(DOCUMENTED_LIE);
  });
});
