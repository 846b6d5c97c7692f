// cluster/sim/network.ts — the simulated network: per-link latency, loss, duplication, reordering, partitions.
import type { SeededRng } from '../../lib/rng.ts';
import type { VirtualTimers } from '../../lib/timers.ts';
import type { Grudge } from '../types.ts';
import { freezeDeep } from './immutable.ts';
import { drawLatency, type LatencyKnob, type SimKnobs } from './knobs.ts';

/** NetworkCounters: what the network did, for the run's log. */
export interface NetworkCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  cut: number;
}

/** linkKey: the name of the link between `a` and `b`, the same both ways. */
export function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * SimNetwork carries messages between nodes. A message is frozen on send (freezeDeep) and
 * delivered by reference: nodes share it but none can change it, which is what a copy on
 * the wire guarantees, at a fraction of the cost. The grudge follows Jepsen:
 * grudge[to] lists the nodes whose packets `to` drops; it is checked when a packet arrives, so
 * packets in flight when a partition starts are dropped too, and a one-way grudge cuts one
 * direction only.
 */
export class SimNetwork {
  private grudge: Grudge = {};
  /** isolated: nodes the reactive nemesis cut off from everyone, on top of the grudge (cluster/sim/reactive.ts). */
  private readonly isolated = new Set<string>();
  /** severed: links (linkKey, both ways) the reactive nemesis cut, on top of the grudge. */
  private readonly severed = new Set<string>();
  /** heldUntil: a node (all its inbound links) or a link `from>to` whose packets arriving before this virtual time arrive just after it instead (a latency spike). */
  private readonly heldUntil = new Map<string, number>();
  readonly counters: NetworkCounters = { sent: 0, delivered: 0, lost: 0, duplicated: 0, cut: 0 };
  /** links: knobs.linkLatency by from, then to, so a send builds no "from>to" key (a string per message). */
  private readonly links = new Map<string, Map<string, LatencyKnob>>();

  constructor(
    private readonly timers: VirtualTimers,
    private readonly rng: SeededRng,
    private readonly knobs: SimKnobs,
  ) {
    for (const [link, knob] of Object.entries(knobs.linkLatency)) {
      const [from, to] = link.split('>');
      let out = this.links.get(from);
      if (out === undefined) this.links.set(from, (out = new Map()));
      out.set(to, knob);
    }
  }

  setGrudge(grudge: Grudge): void {
    this.grudge = structuredClone(grudge);
  }

  /** isolate cuts every link of `node` (or, with false, restores them) without touching the grudge. */
  isolate(node: string, cut: boolean): void {
    if (cut) this.isolated.add(node);
    else this.isolated.delete(node);
  }

  /** sever cuts (or, with false, restores) the link between `a` and `b`, both ways, without touching the grudge. */
  sever(a: string, b: string, cut: boolean): void {
    const key = linkKey(a, b);
    if (cut) this.severed.add(key);
    else this.severed.delete(key);
  }

  /** hold delays every packet reaching `node` (or, with `from`, crossing the link from→node) in the next `ms` to just after it, as a slow link would. */
  hold(node: string, ms: number, from?: string): void {
    this.heldUntil.set(from === undefined ? node : `${from}>${node}`, this.timers.nowMs() + ms);
  }

  /** cuts: whether `to` drops packets from `from` now. */
  cuts(from: string, to: string): boolean {
    if (this.isolated.size > 0 && (this.isolated.has(from) || this.isolated.has(to))) return true;
    if (this.severed.size > 0 && this.severed.has(linkKey(from, to))) return true;
    return this.grudge[to]?.includes(from) === true;
  }

  /** send carries `msg` from → to; `deliver` runs at arrival unless the packet is lost or cut. */
  send(from: string, to: string, msg: unknown, deliver: (msg: unknown) => void): void {
    this.counters.sent += 1;
    if (this.knobs.lossP > 0 && this.rng.next() < this.knobs.lossP) {
      this.counters.lost += 1;
      return;
    }
    const wire = freezeDeep(msg);
    const copies = this.knobs.duplicateP > 0 && this.rng.next() < this.knobs.duplicateP ? 2 : 1;
    if (copies === 2) this.counters.duplicated += 1;
    for (let i = 0; i < copies; i += 1) {
      const arrive = (): void => {
        if (this.heldUntil.size > 0 && this.held(from, to, arrive)) return;
        if (this.cuts(from, to)) {
          this.counters.cut += 1;
          return;
        }
        this.counters.delivered += 1;
        deliver(wire);
      };
      this.timers.at(this.delayMs(from, to), arrive);
    }
  }

  /** held: the packet reached a held node; it arrives again once the hold is over (after one more link delay). */
  private held(from: string, to: string, arrive: () => void): boolean {
    const link = `${from}>${to}`;
    const until = Math.max(this.heldUntil.get(to) ?? 0, this.heldUntil.get(link) ?? 0);
    const now = this.timers.nowMs();
    if (now >= until) {
      if (this.heldUntil.get(to) !== undefined && now >= this.heldUntil.get(to)!) this.heldUntil.delete(to);
      if (this.heldUntil.get(link) !== undefined && now >= this.heldUntil.get(link)!) this.heldUntil.delete(link);
      return false;
    }
    this.timers.at(until - now + this.delayMs(from, to), arrive);
    return true;
  }

  /** delayMs: one draw of the link's latency, sometimes with an extra wait that lets later packets overtake. */
  delayMs(from: string, to: string): number {
    const knob = this.links.get(from)?.get(to) ?? this.knobs.clientLatency;
    let ms = drawLatency(this.rng, knob);
    if (this.knobs.reorderP > 0 && this.rng.next() < this.knobs.reorderP) ms += drawLatency(this.rng, knob) * 10;
    return ms;
  }

  /** clientDelayMs: control node ↔ node. */
  clientDelayMs(): number {
    return drawLatency(this.rng, this.knobs.clientLatency);
  }
}
