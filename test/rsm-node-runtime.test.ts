// test/rsm-node-runtime.test.ts — NodeRuntime carries out Effects in order and times requests out.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { noEffects, type ClientRequest, type Effects, type NodeStatus, type ProtocolCore } from '../rsm/core/types.ts';
import { DurableLog } from '../rsm/runtime/durable-log.ts';
import { NodeRuntime } from '../rsm/runtime/node-runtime.ts';

/** ScriptedCore answers requests as told: 'persist-then-reply', 'silent' or 'reject'. */
class ScriptedCore implements ProtocolCore<string> {
  readonly id = 'n1';
  ticks = 0;
  constructor(private readonly mode: 'persist-then-reply' | 'silent' | 'reject') {}
  tick(): Effects<string> {
    this.ticks += 1;
    return noEffects();
  }
  step(_from: string, msg: string): Effects<string> {
    const e = noEffects<string>();
    e.send.push({ to: 'n2', msg: `echo:${msg}` });
    return e;
  }
  request(req: ClientRequest): Effects<string> {
    const e = noEffects<string>();
    if (this.mode === 'silent') return e;
    if (this.mode === 'reject') {
      e.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'not primary', redirect: 'n2' });
      return e;
    }
    e.persist.push({ kind: 'append', record: req.command.seq });
    e.send.push({ to: 'n2', msg: `sent:${req.command.seq}` });
    e.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'ok' } });
    return e;
  }
  status(): NodeStatus {
    return { id: this.id, protocol: 'scripted', role: 'x', appliedIndex: 0 };
  }
}

let dir: string;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(mode: 'persist-then-reply' | 'silent' | 'reject', requestTimeoutMs = 1000) {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rsm-rt-'));
  const { log } = await DurableLog.open(path.join(dir, 'log.bin'), { log: () => {} });
  const events: string[] = [];
  const origAppend = log.append.bind(log);
  log.append = async (records: unknown[]) => {
    await origAppend(records);
    events.push(`durable:${records.join(',')}`);
  };
  const core = new ScriptedCore(mode);
  const rt = new NodeRuntime({ core, log, sender: { send: (to, msg) => events.push(`send:${to}:${String(msg)}`) }, tickMs: 5, requestTimeoutMs });
  rt.start();
  stops.push(async () => {
    await rt.stop();
    await log.close();
  });
  return { rt, core, events, log };
}

const cmd = (seq: number) => ({ clientId: 'c', seq, cmd: { kind: 'read' as const, key: 'k' } });

describe('NodeRuntime', () => {
  it('persists before it sends and replies, batch after batch in order', async () => {
    const { rt, events } = await setup('persist-then-reply');
    const replies = await Promise.all([1, 2, 3].map((s) => rt.request(cmd(s)).then((r) => {
      events.push(`reply:${s}`);
      return r;
    })));
    rt.onMessage('n2', 'ping');
    expect(replies.every((r) => r.outcome === 'ok')).toBe(true);
    for (const s of [1, 2, 3]) {
      const durable = events.findIndex((e) => e.startsWith('durable:') && e.slice(8).split(',').includes(String(s)));
      expect(durable).toBeGreaterThanOrEqual(0);
      expect(events.indexOf(`send:n2:sent:${s}`)).toBeGreaterThan(durable);
      expect(events.indexOf(`reply:${s}`)).toBeGreaterThan(durable);
    }
    // Sends keep the order the core produced them in.
    const sends = events.filter((e) => e.startsWith('send:'));
    expect(sends).toEqual(['send:n2:sent:1', 'send:n2:sent:2', 'send:n2:sent:3', 'send:n2:echo:ping']);
  });

  it('answers unknown (timedOut) when the core does not reply in time', async () => {
    const { rt } = await setup('silent', 50);
    const t0 = Date.now();
    const r = await rt.request(cmd(1));
    expect(r).toMatchObject({ outcome: 'unknown', timedOut: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it('passes rejects with their redirect, and ticks the core', async () => {
    const { rt, core } = await setup('reject');
    expect(await rt.request(cmd(1))).toEqual({ outcome: 'reject', error: 'not primary', redirect: 'n2' });
    await new Promise((r) => setTimeout(r, 50));
    expect(core.ticks).toBeGreaterThan(2);
  });
});
