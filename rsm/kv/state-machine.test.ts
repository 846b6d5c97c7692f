import { describe, expect, it } from 'vitest';
import { KvStateMachine } from './state-machine.ts';

describe('KvStateMachine', () => {
  it('applies read, write and cas', () => {
    const sm = new KvStateMachine();
    expect(sm.apply({ clientId: 'c', seq: 1, cmd: { kind: 'read', key: 'x' } })).toEqual({ type: 'ok', value: null });
    expect(sm.apply({ clientId: 'c', seq: 2, cmd: { kind: 'write', key: 'x', value: 1 } })).toEqual({ type: 'ok' });
    expect(sm.apply({ clientId: 'c', seq: 3, cmd: { kind: 'cas', key: 'x', expected: 2, value: 3 } }).type).toBe('fail');
    expect(sm.apply({ clientId: 'c', seq: 4, cmd: { kind: 'cas', key: 'x', expected: 1, value: 3 } }).type).toBe('ok');
    expect(sm.read('x')).toBe(3);
  });

  it('applies a retried command once and returns its first reply', () => {
    const sm = new KvStateMachine();
    const append = { clientId: 'c', seq: 1, cmd: { kind: 'txn' as const, ops: [['append', 'k', 1] as ['append', string, unknown]] } };
    const first = sm.apply(append);
    expect(sm.apply(append)).toEqual(first);
    expect(sm.read('k')).toEqual([1]);
    expect(sm.appliedIndex).toBe(1);
  });

  it('applies a transaction atomically', () => {
    const sm = new KvStateMachine();
    sm.apply({ clientId: 'c', seq: 1, cmd: { kind: 'write', key: 'b', value: 5 } });
    const r = sm.apply({ clientId: 'c', seq: 2, cmd: { kind: 'txn', ops: [['append', 'a', 1], ['append', 'b', 2]] } });
    expect(r.type).toBe('fail');
    expect(sm.read('a')).toBe(null);
    const ok = sm.apply({ clientId: 'c', seq: 3, cmd: { kind: 'txn', ops: [['append', 'a', 1], ['r', 'a', null], ['w', 'c', 7]] } });
    expect(ok).toEqual({ type: 'ok', value: [['append', 'a', 1], ['r', 'a', [1]], ['w', 'c', 7]] });
  });

  it('round-trips through a snapshot', () => {
    const sm = new KvStateMachine();
    sm.apply({ clientId: 'c', seq: 1, cmd: { kind: 'write', key: 'x', value: { a: [1] } } });
    const copy = KvStateMachine.restore(sm.snapshot());
    expect(copy.read('x')).toEqual({ a: [1] });
    expect(copy.isDuplicate({ clientId: 'c', seq: 1, cmd: { kind: 'read', key: 'x' } })).toBe(true);
    expect(copy.appliedIndex).toBe(1);
  });

  it('a cas micro-op makes a transaction conditional: all its writes, or none', () => {
    const sm = new KvStateMachine();
    sm.apply({ clientId: 'c', seq: 1, cmd: { kind: 'txn', ops: [['w', 'a', 10], ['w', 'b', 10]] } });
    const transfer = sm.apply({ clientId: 'c', seq: 2, cmd: { kind: 'txn', ops: [['cas', 'a', [10, 7]], ['cas', 'b', [10, 13]]] } });
    expect(transfer).toEqual({ type: 'ok', value: [['cas', 'a', [10, 7]], ['cas', 'b', [10, 13]]] });
    const stale = sm.apply({ clientId: 'c', seq: 3, cmd: { kind: 'txn', ops: [['cas', 'a', [7, 2]], ['cas', 'b', [10, 15]]] } });
    expect(stale.type).toBe('fail');
    expect(stale.type === 'fail' && stale.error).toMatch(/cas mismatch on key b: expected 10, found 13/);
    expect([sm.read('a'), sm.read('b')]).toEqual([7, 13]);
  });
});
