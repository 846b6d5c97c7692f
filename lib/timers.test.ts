// lib/timers.test.ts — VirtualTimers runs events in (due time, scheduling order), skips cancelled timers, and moves time only between events.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from './timers.ts';

/** A scheduled event of the model: its due time, scheduling index, and whether it was cancelled. */
interface Planned {
  dueMs: number;
  index: number;
  cancelled: boolean;
}

describe('VirtualTimers', () => {
  it('runs events in due-time order, ties in scheduling order, cancelled timers never, even when events schedule more', async () => {
    // Delays from a small set, so ties are common; each event may schedule children and cancel an earlier timer.
    const step = fc.record({ delayMs: fc.constantFrom(0, 0.5, 1, 1, 2, 3, 10), viaTimer: fc.boolean(), children: fc.nat(2), cancel: fc.option(fc.nat(), { nil: undefined }) });
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 200 }), async (steps) => {
      const t = new VirtualTimers();
      const planned: Planned[] = [];
      const ran: number[] = [];
      const ids: Array<{ index: number; id: ReturnType<VirtualTimers['setTimer']> }> = [];
      let next = 0;
      const schedule = (): void => {
        if (next >= steps.length) return;
        const index = next++;
        const s = steps[index];
        planned.push({ dueMs: t.nowMs() + s.delayMs, index, cancelled: false });
        const fn = (): void => {
          expect(t.nowMs()).toBe(planned[index].dueMs);
          ran.push(index);
          for (let c = 0; c < s.children; c += 1) schedule();
          if (s.cancel !== undefined && ids.length > 0) {
            const victim = ids[s.cancel % ids.length];
            if (!ran.includes(victim.index)) planned[victim.index].cancelled = true;
            t.clearTimer(victim.id);
          }
        };
        if (s.viaTimer) ids.push({ index, id: t.setTimer(fn, s.delayMs) });
        else t.at(s.delayMs, fn);
      };
      schedule();
      // The driven task ends after every event could have run.
      const horizonMs = steps.reduce((a, s) => a + s.delayMs, 0) + 1;
      await t.drive(new Promise<void>((resolve) => t.setTimer(resolve, horizonMs)));
      // Reference: events are due in order of (due time, index); each ran unless cancelled first.
      const expected = planned.filter((p) => !p.cancelled).sort((a, b) => a.dueMs - b.dueMs || a.index - b.index).map((p) => p.index);
      expect(ran).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('keeps that order when cancelled timers are compacted out of a large queue', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { minLength: 64, maxLength: 600 }), async (plan) => {
      const t = new VirtualTimers();
      const ran: number[] = [];
      const ids = plan.map((p, index) => t.setTimer(() => ran.push(index), p.delayMs));
      // Cancel in a shuffled order while events keep running, so compaction happens mid-drive.
      t.at(0, () => plan.forEach((p, index) => p.cancel && t.clearTimer(ids[index])));
      await t.drive(new Promise<void>((resolve) => t.setTimer(resolve, 51)));
      const expected = plan.map((p, index) => ({ ...p, index })).filter((p) => !p.cancel || p.delayMs === 0)
        .sort((a, b) => a.delayMs - b.delayMs || a.index - b.index).map((p) => p.index);
      expect(ran).toEqual(expected);
      expect(t.pendingCount).toBe(0);
    }), { numRuns: 200 });
  });

  it('drains promises a timer resolves before the next event, and fails when nothing can settle the driven task', async () => {
    const t = new VirtualTimers();
    const order: string[] = [];
    t.setTimer(() => void Promise.resolve().then(() => order.push('awaited')), 1);
    t.at(1, () => order.push('next event'));
    await t.drive(new Promise<void>((resolve) => t.setTimer(resolve, 2)));
    expect(order).toEqual(['awaited', 'next event']);
    await expect(t.drive(new Promise(() => undefined))).rejects.toThrow(/nothing scheduled/);
  });
});
