// cluster/packet-shaper.ts — packet faults on real packets where each node's traffic leaves (tc, iptables).
//
// The docker cluster runs the commands in each node's network container, the ssh cluster on
// each host (ShapedNode.run). Each shaped link [from, to] is shaped on from's egress (as Jepsen's net/shape!): an htb root
// qdisc on eth0 with one class per shaped destination, picked by a u32 filter on the
// destination address. Where the kernel has sch_netem (probed at setup) the class carries a
// netem qdisc doing delay, jitter, loss, duplication, reordering and the rate. Without netem
// (this project's machines), loss is an iptables `statistic --mode random` DROP rule per link,
// the rate is the htb class's rate, and delay, jitter, duplication and reordering are done by
// the project's userspace shaper (native/nfq-shaper) serving NFQUEUE queue 0 in the sender's
// namespace: one iptables NFQUEUE rule per link sends the link's packets to it, except those
// carrying SHAPER_MARK (the shaper's own duplicates). The probe starts and stops the shaper
// once, so a kernel without nfnetlink_queue (or a node without the shaper) is found at setup.
import type { PacketLink, PacketShape, PacketSupport } from './types.ts';

/** UNSHAPED_RATE: the htb default class's rate, far above anything a test sends. */
const UNSHAPED_RATE = '10gbit';

/** PacketKernel: what the probe found: netem, the NFQUEUE shaper, or neither (loss and rate only). */
export type PacketKernel = 'netem' | 'nfqueue' | 'fallback';

/** SHAPER_MARK: the fwmark of the shaper's duplicates, which its NFQUEUE rules let pass. */
const SHAPER_MARK = 0x5b1;

const MECHANISMS: Record<PacketKernel, string> = {
  netem: 'tc netem under htb per link',
  nfqueue: 'NFQUEUE userspace shaper (native/nfq-shaper: delay, jitter, duplicate, reorder) + iptables statistic (loss) + tc htb (rate); no sch_netem in this kernel',
  fallback: 'iptables statistic (loss) + tc htb (rate); no sch_netem in this kernel',
};

/** packetSupportOf: what a probed kernel offers; `shaperMissing` says why the NFQUEUE shaper could not run. */
export function packetSupportOf(kernel: PacketKernel, shaperMissing = 'the NFQUEUE shaper was not probed yet'): PacketSupport {
  if (kernel !== 'fallback') return { behaviours: ['delay', 'loss', 'duplicate', 'reorder', 'rate'], mechanism: MECHANISMS[kernel] };
  return {
    behaviours: ['loss', 'rate'],
    mechanism: MECHANISMS.fallback,
    missing: `delay, duplicate and reorder need sch_netem, which this kernel lacks (tc qdisc add ... netem fails), or the NFQUEUE shaper, which did not run here (${shaperMissing})`,
  };
}

/**
 * packetSupportBeforeProbe: what a cluster offers before its nodes exist (a run checks its
 * schedule and draws before setup). With the shaper built, every behaviour: netem or the shaper
 * does it on any kernel with nfnetlink_queue; if the probe at setup finds neither, start-packet
 * fails with the probe's reason. Without the shaper, only what iptables and htb do.
 */
export function packetSupportBeforeProbe(shaperBuilt: boolean, shaperPath: string): PacketSupport {
  if (!shaperBuilt) return packetSupportOf('fallback', `${shaperPath} is not there: run scripts/build-nfq-shaper.sh`);
  return { behaviours: ['delay', 'loss', 'duplicate', 'reorder', 'rate'], mechanism: 'tc netem where the kernel has sch_netem, else the NFQUEUE userspace shaper (probed at setup)' };
}

/** PacketProbe: the kernel's offer and, for the fallback, why the shaper did not run. */
export interface PacketProbe {
  kernel: PacketKernel;
  shaperMissing?: string;
}

/** NfqShaper: the NFQUEUE shaper where a node's packets leave: its path, and the dir of its pid file (default /run). */
export interface NfqShaper {
  path: string;
  stateDir?: string;
}

/** shaperArgv: one command line of the shaper (`start` with the shape's flags, or `stop`). */
function shaperArgv(shaper: NfqShaper, mode: 'start' | 'stop', flags: readonly string[] = []): string[] {
  return [shaper.path, mode, ...flags, ...(shaper.stateDir !== undefined ? ['--state-dir', shaper.stateDir] : [])];
}

/** PacketExec runs one command (argv) where the node's packets leave. */
export interface PacketExec {
  /** run: the command's output; throws unless it exits 0. */
  run(argv: string[]): Promise<string>;
  /** tryRun: the command's exit code and output. */
  tryRun(argv: string[]): Promise<{ exitCode: number; output: string }>;
  /**
   * runAll, where one round trip runs many commands (docker: one exec): the commands in order,
   * stopping at the first failure; how many exited 0 and that failure. Without it, one run each.
   */
  runAll?(argvs: string[][]): Promise<BatchResult>;
}

/** BatchResult: how many commands of a batch exited 0 (in order, up to the first failure), and that failure. */
export interface BatchResult {
  completed: number;
  error?: string;
}

/** Step: one command of a node's setup or heal, and what to remember once it exited 0. */
interface Step {
  argv: string[];
  done: () => void;
}

/** runSteps runs a node's steps in one round trip where it can, remembering each that completed, then throws the failure. */
async function runSteps(node: ShapedNode, steps: readonly Step[]): Promise<void> {
  if (steps.length === 0) return;
  if (node.runAll === undefined) {
    for (const step of steps) {
      await node.run(step.argv);
      step.done();
    }
    return;
  }
  const res = await node.runAll(steps.map((s) => s.argv));
  for (const step of steps.slice(0, res.completed)) step.done();
  if (res.error !== undefined) throw new Error(`packet faults on ${node.id}: ${res.error}`);
}

/**
 * probePacketKernel tries a netem qdisc on `dev` (a loopback no node traffic uses), then the
 * NFQUEUE shaper at `shaper` when there is one (removing both).
 */
export async function probePacketKernel(exec: PacketExec, tc: string, shaper: NfqShaper | undefined, dev = 'lo'): Promise<PacketProbe> {
  if ((await exec.tryRun([tc, 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'delay', '1ms'])).exitCode === 0) {
    await exec.run([tc, 'qdisc', 'del', 'dev', dev, 'root']);
    return { kernel: 'netem' };
  }
  if (shaper === undefined) return { kernel: 'fallback', shaperMissing: 'no NFQUEUE shaper on this node' };
  const started = await exec.tryRun(shaperArgv(shaper, 'start', ['--seed', '0'])).catch((err: Error) => ({ exitCode: -1, output: err.message }));
  if (started.exitCode !== 0) return { kernel: 'fallback', shaperMissing: started.output.trim().split('\n')[0] || `${shaper.path} exit ${started.exitCode}` };
  await exec.run(shaperArgv(shaper, 'stop'));
  return { kernel: 'nfqueue' };
}

/** ShapedNode: where one node's packets leave: how to run commands there, its tc and iptables, the device. */
export interface ShapedNode extends PacketExec {
  id: string;
  tc: string;
  iptables: string;
  /** The device its packets to the other nodes leave by (eth0 in a container). */
  dev: string;
  /** The chain loss rules go in (default OUTPUT; the ssh cluster's own chain, hooked into OUTPUT, on a shared host). */
  outputChain?: string;
  /** The NFQUEUE shaper there, if it has one (the probe found it running). */
  nfqShaper?: NfqShaper;
}

/** shaperOf: the node's NFQUEUE shaper; only nodes whose probe found one get here. */
function shaperOf(node: ShapedNode): NfqShaper {
  if (node.nfqShaper === undefined) throw new Error(`packet faults: node ${node.id} has no NFQUEUE shaper`);
  return node.nfqShaper;
}

/** netemArgs: the netem options of a shape. */
function netemArgs(shape: PacketShape): string[] {
  const pct = (p: number): string => `${(p * 100).toFixed(2)}%`;
  const args: string[] = [];
  if (shape.delayMs !== undefined || (shape.reorder ?? 0) > 0) {
    args.push('delay', `${shape.delayMs ?? 50}ms`);
    if (shape.jitterMs !== undefined) args.push(`${shape.jitterMs}ms`);
  }
  if ((shape.loss ?? 0) > 0) args.push('loss', pct(shape.loss!));
  if ((shape.duplicate ?? 0) > 0) args.push('duplicate', pct(shape.duplicate!));
  if ((shape.reorder ?? 0) > 0) args.push('reorder', pct(shape.reorder!));
  return args;
}

/** withVerb puts -A or -D after a rule's optional `-t table`. */
function withVerb(verb: '-A' | '-D', rule: string[]): string[] {
  return rule[0] === '-t' ? [rule[0], rule[1], verb, ...rule.slice(2)] : [verb, ...rule];
}

/** shaperArgs: the NFQUEUE shaper's flags for a shape (empty when it has nothing to hold), netem's defaults kept. */
function shaperArgs(shape: PacketShape): string[] {
  const args: string[] = [];
  if (shape.delayMs !== undefined || (shape.reorder ?? 0) > 0) {
    // As netemArgs: a reorder without a delay reorders against netem's 50 ms.
    args.push('--delay', String(shape.delayMs ?? 50));
    if (shape.jitterMs !== undefined) args.push('--jitter', String(shape.jitterMs));
  }
  if ((shape.duplicate ?? 0) > 0) args.push('--duplicate', String(shape.duplicate));
  if ((shape.reorder ?? 0) > 0) args.push('--reorder', String(shape.reorder));
  return args;
}

/**
 * PacketShaper applies and clears packet faults. It remembers what it added (qdiscs per
 * node, iptables rules per node) so clear() removes exactly that, and is safe with nothing in force.
 */
export class PacketShaper {
  private readonly rules = new Map<string, string[][]>();
  private readonly qdiscs = new Set<string>();
  /** Nodes whose namespace runs the NFQUEUE shaper now. */
  private readonly shapers = new Set<string>();

  /**
   * `clientPortOf(side)`: with clients beside their nodes (partitionClients), the port side's
   * clients dial on every node; undefined without.
   */
  constructor(
    private readonly probe: PacketProbe,
    private readonly ipOf: (node: string) => string,
    private readonly clientPortOf?: (side: string) => number | undefined,
  ) {}

  get support(): PacketSupport {
    return packetSupportOf(this.probe.kernel, this.probe.shaperMissing);
  }

  /**
   * apply replaces the faults in force with `shape` on `links`. Each node's commands go in one
   * round trip and the nodes in parallel where their PacketExec has runAll (docker: under load one
   * exec costs about a second, and the fault must be in force when the history says it is).
   */
  async apply(nodes: ReadonlyMap<string, ShapedNode>, links: readonly PacketLink[], shape: PacketShape, seed: number): Promise<string> {
    await this.clear(nodes);
    const nodeOf = (id: string): ShapedNode => {
      const node = nodes.get(id);
      if (node === undefined) throw new Error(`packet faults: unknown node ${id}`);
      return node;
    };
    const steps = new Map<string, Step[]>();
    const add = (id: string, ...more: Step[]): void => void steps.set(id, [...(steps.get(id) ?? []), ...more]);
    const bySender = new Map<string, string[]>();
    for (const [from, to] of links) bySender.set(from, [...(bySender.get(from) ?? []), to]);
    for (const [from, tos] of bySender) add(from, ...this.egressSteps(nodeOf(from), tos, shape));
    if (this.probe.kernel === 'nfqueue' && shaperArgs(shape).length > 0) {
      // Which packets of which namespace go to the shaper: a link's node-to-node packets at the
      // sender and, with clients beside their nodes, the clients' packets on that link (below).
      const queued = new Map<string, string[][]>();
      const queue = (id: string, match: string[]): void => void queued.set(id, [...(queued.get(id) ?? []), match]);
      for (const [from, to] of links) {
        queue(from, [nodeOf(from).outputChain ?? 'OUTPUT', '-d', this.ipOf(to)]);
        const requestPort = this.clientPortOf?.(from);
        const replyPort = this.clientPortOf?.(to);
        // As the local link proxies: side `from`'s clients' requests to `to` travel from→to (at to's
        // ingress, before the port redirect), and from's replies to side `to`'s clients travel from→to.
        if (requestPort !== undefined) queue(to, ['-t', 'mangle', 'PREROUTING', '-p', 'tcp', '--dport', String(requestPort)]);
        if (replyPort !== undefined) queue(from, ['OUTPUT', '-p', 'tcp', '-m', 'conntrack', '--ctorigdstport', String(replyPort)]);
      }
      let k = 0;
      for (const [id, matches] of queued) {
        const node = nodeOf(id);
        // Each namespace's shaper draws from its own stream of the run's seed. It serves before any
        // packet is sent to its queue (--queue-bypass: none is lost while it is not there).
        const own = (seed + 7919 * ++k) >>> 0;
        add(id, { argv: shaperArgv(shaperOf(node), 'start', [...shaperArgs(shape), '--seed', String(own), '--mark', String(SHAPER_MARK)]), done: () => this.shapers.add(id) });
        for (const match of matches) add(id, this.ruleStep(node, [...match, '-m', 'mark', '!', '--mark', `0x${SHAPER_MARK.toString(16)}`, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']));
      }
    }
    await this.runNodes(nodes, steps);
    return this.support.mechanism;
  }

  /** runNodes runs each node's steps: in parallel where every node has runAll, else one node after another (as before). */
  private async runNodes(nodes: ReadonlyMap<string, ShapedNode>, steps: ReadonlyMap<string, Step[]>): Promise<void> {
    if ([...steps.keys()].every((id) => nodes.get(id)!.runAll !== undefined)) {
      const results = await Promise.allSettled([...steps].map(([id, s]) => runSteps(nodes.get(id)!, s)));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return;
    }
    for (const [id, s] of steps) await runSteps(nodes.get(id)!, s);
  }

  /** egressSteps: htb (rate), netem or the loss rules on a sender's links to other nodes. */
  private egressSteps(node: ShapedNode, tos: string[], shape: PacketShape): Step[] {
    const dev = node.dev;
    const tc = (args: string[], done = (): void => undefined): Step => ({ argv: [node.tc, ...args], done });
    const steps = [
      tc(['qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'], () => this.qdiscs.add(node.id)),
      tc(['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', UNSHAPED_RATE]),
    ];
    const rate = shape.rateKbit !== undefined ? `${shape.rateKbit}kbit` : UNSHAPED_RATE;
    for (const [k, to] of tos.entries()) {
      const classid = `1:${10 + k}`;
      steps.push(tc(['class', 'add', 'dev', dev, 'parent', '1:', 'classid', classid, 'htb', 'rate', rate, 'ceil', rate]));
      steps.push(tc(['filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${this.ipOf(to)}/32`, 'flowid', classid]));
      if (this.probe.kernel === 'netem') {
        const args = netemArgs(shape);
        if (args.length > 0) steps.push(tc(['qdisc', 'add', 'dev', dev, 'parent', classid, 'netem', ...args]));
      } else if ((shape.loss ?? 0) > 0) {
        steps.push(this.ruleStep(node, [node.outputChain ?? 'OUTPUT', '-d', this.ipOf(to), '-m', 'statistic', '--mode', 'random', '--probability', String(shape.loss), '-j', 'DROP']));
      }
    }
    return steps;
  }

  /** ruleStep appends a rule, given as [-t table] CHAIN match... target, remembered for clear() once added. */
  private ruleStep(node: ShapedNode, rule: string[]): Step {
    return { argv: [node.iptables, '-w', ...withVerb('-A', rule)], done: () => void this.rules.set(node.id, [...(this.rules.get(node.id) ?? []), rule]) };
  }

  /** clear removes every qdisc and rule this shaper added: per node the rules, then the shaper (it releases what it holds), then the qdisc. */
  async clear(nodes: ReadonlyMap<string, ShapedNode>): Promise<void> {
    const steps = new Map<string, Step[]>();
    for (const id of new Set([...this.rules.keys(), ...this.shapers, ...this.qdiscs])) {
      const node = nodes.get(id)!;
      const own: Step[] = (this.rules.get(id) ?? []).map((rule) => ({
        argv: [node.iptables, '-w', ...withVerb('-D', rule)],
        done: () => {
          const left = this.rules.get(id)!.filter((r) => r !== rule);
          if (left.length > 0) this.rules.set(id, left);
          else this.rules.delete(id);
        },
      }));
      if (this.shapers.has(id)) own.push({ argv: shaperArgv(shaperOf(node), 'stop'), done: () => this.shapers.delete(id) });
      if (this.qdiscs.has(id)) own.push({ argv: [node.tc, 'qdisc', 'del', 'dev', node.dev, 'root'], done: () => this.qdiscs.delete(id) });
      steps.set(id, own);
    }
    await this.runNodes(nodes, steps);
  }
}
