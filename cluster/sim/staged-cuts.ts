// cluster/sim/staged-cuts.ts — the links a staged reaction (figure8, revote) cut, remembered so that giving up restores every one.
import { linkKey } from './network.ts';

/** CutWorld: the link faults of the simulated network a staged reaction uses. */
export interface CutWorld {
  isolate(node: string, cut: boolean): void;
  sever(a: string, b: string, cut: boolean): void;
}

/** StagedCuts isolates nodes and severs links through the world and remembers which, so restoreAll undoes exactly those. */
export class StagedCuts {
  private readonly isolated = new Set<string>();
  /** severed: by linkKey (a|b and b|a are one link), the pair as it was cut. */
  private readonly severed = new Map<string, readonly [string, string]>();

  constructor(private readonly world: CutWorld) {}

  isolate(node: string, cut: boolean): void {
    if (cut) this.isolated.add(node);
    else this.isolated.delete(node);
    this.world.isolate(node, cut);
  }

  sever(a: string, b: string, cut: boolean): void {
    const key = linkKey(a, b);
    if (cut) this.severed.set(key, [a, b]);
    else this.severed.delete(key);
    this.world.sever(a, b, cut);
  }

  /** mendSevered: every severed link comes back (isolations stay). */
  mendSevered(): void {
    for (const [a, b] of [...this.severed.values()]) this.sever(a, b, false);
  }

  restoreAll(): void {
    for (const n of [...this.isolated]) this.isolate(n, false);
    this.mendSevered();
  }
}
