// cluster/sim/guard.test.ts — the runtime determinism guard catches a core reaching outside the simulated world.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { sleepOn } from '../../lib/timers.ts';
import type { CoreFactory, ProtocolCore } from '../../rsm/core/types.ts';
import { loadCoreFactory } from '../../rsm/protocols.ts';
import { DeterminismViolation } from './guard.ts';
import { SimCluster } from './sim-cluster.ts';

/** misbehaving wraps raft's core so that its tick, from the 5th on, does `reach()` (a caught throw still counts). */
async function misbehaving(reach: () => unknown, swallow = false): Promise<CoreFactory> {
  const raft = await loadCoreFactory('raft');
  return (config, restored) => {
    const core = raft(config, restored);
    let ticks = 0;
    const wrapped: ProtocolCore = {
      id: core.id,
      tick: () => {
        ticks += 1;
        if (ticks >= 5) {
          try {
            reach();
          } catch (error) {
            if (!swallow) throw error;
          }
        }
        return core.tick();
      },
      step: (from, msg) => core.step(from, msg),
      request: (req) => core.request(req),
      status: () => core.status(),
    };
    return wrapped;
  };
}

async function runWorld(factory: CoreFactory): Promise<unknown> {
  const cluster = new SimCluster({ protocol: 'raft', nodeCount: 3, bugs: [], options: {}, seed: 7, factories: { raft: factory } });
  await cluster.setup();
  try {
    await cluster.drive(sleepOn(cluster.timers, 500));
    return 'ran';
  } catch (error) {
    return error;
  } finally {
    await cluster.teardown();
  }
}

describe('determinism guard', () => {
  const reaches: Array<[string, () => unknown]> = [
    ['Date.now', () => Date.now()],
    ['new Date()', () => new Date()],
    ['Math.random', () => Math.random()],
    ['performance.now', () => performance.now()],
    ['setTimeout', () => setTimeout(() => undefined, 1)],
    ['setImmediate', () => setImmediate(() => undefined)],
    ['a file (fs.readFileSync)', () => readFileSync('/etc/hostname')],
    ['a socket (net.Socket.connect)', () => new net.Socket().connect(1, '127.0.0.1')],
  ];
  for (const [what, reach] of reaches) {
    it(`fails a run whose core calls ${what}`, async () => {
      const error = await runWorld(await misbehaving(reach));
      expect(error).toBeInstanceOf(DeterminismViolation);
      expect((error as Error).message).toContain(`simulated code called ${what}`);
    });
  }

  it('fails the run even when the core catches the throw', async () => {
    const error = await runWorld(await misbehaving(() => Date.now(), true));
    expect(error).toBeInstanceOf(DeterminismViolation);
  });

  it('fails a run whose core changes a message it received (messages are shared by reference, frozen)', async () => {
    const raft = await loadCoreFactory('raft');
    const mutating: CoreFactory = (config, restored) => {
      const core = raft(config, restored);
      return { ...core, id: core.id, tick: () => core.tick(), request: (req) => core.request(req), status: () => core.status(), step: (from, msg) => {
        (msg as { seen?: boolean }).seen = true;
        return core.step(from, msg);
      } };
    };
    const error = await runWorld(mutating);
    expect(error).toBeInstanceOf(DeterminismViolation);
    expect((error as Error).message).toContain('changed a message or record it shares');
  });

  it('lets a well-behaved core run, and leaves the real functions alone outside simulated code', async () => {
    expect(await runWorld(await loadCoreFactory('raft'))).toBe('ran');
    const cluster = new SimCluster({ protocol: 'raft', nodeCount: 3, bugs: [], options: {}, seed: 7 });
    await cluster.setup();
    // Installed, but the harness itself (here: this test) still has the real clock and timers.
    expect(typeof Date.now()).toBe('number');
    await new Promise((resolve) => setTimeout(resolve, 1));
    await cluster.teardown();
    expect(Date.now.name).toBe('now');
  });
});
