// checker/models/knossos.test.ts — one ok/bad history pair per rule of knossos/model.clj and history.clj.
import { describe, expect, it } from 'vitest';
import { parseEdn } from '../../history/edn.ts';
import { opFromRecord } from '../../history/op-record.ts';
import type { Op } from '../../history/op.ts';
import { checkLinearizable } from '../linearizable/index.ts';
import { clojureEqual, clojureKey } from './clojure-values.ts';
import { getModel } from './index.ts';

// Histories are written as Knossos writes them: EDN op maps in real-time order, no :index.
function edn(text: string): Op[] {
  return parseEdn(text, 'test.edn', { streamTopLevelSeq: true })
    .map((item, i) => opFromRecord(item.value, { file: 'test.edn', line: item.line, indexDefault: i, syntax: 'edn' }));
}

async function verdict(model: string, text: string, init?: unknown, semantics: 'knossos' | 'splitbrain' = 'knossos') {
  return (await checkLinearizable(edn(text), getModel(model, init, semantics), { timeoutMs: 5_000 })).valid;
}

// pair checks a rule both ways: the ok history is linearizable, the bad one is not.
async function pair(model: string, ok: string, bad: string, init?: unknown): Promise<void> {
  expect(await verdict(model, ok, init)).toBe(true);
  expect(await verdict(model, bad, init)).toBe(false);
}

const w = (p: number, v: string, type = 'ok') => `{:process ${p} :type :invoke :f :write :value ${v}}\n{:process ${p} :type :${type} :f :write :value ${v}}`;
const r = (p: number, v: string) => `{:process ${p} :type :invoke :f :read :value nil}\n{:process ${p} :type :ok :f :read :value ${v}}`;
const cas = (p: number, v: string, type = 'ok') => `{:process ${p} :type :invoke :f :cas :value ${v}}\n{:process ${p} :type :${type} :f :cas :value ${v}}`;

describe('knossos/model.clj Register.step', () => {
  it(':write sets the register to the op value', async () => {
    await pair('register', `${w(0, '1')}\n${r(1, '1')}`, `${w(0, '1')}\n${r(1, '2')}`);
  });

  it(':read of a specific value is legal only when it equals the register', async () => {
    await pair('register', r(0, '0'), r(0, '1'), 0);
  });

  it(':read whose value is nil ("we don\'t know what the read was") is legal in every state', async () => {
    // The same history is not linearizable when nil means "read nil" (our own semantics).
    const history = `${w(0, '1')}\n${r(1, 'nil')}`;
    expect(await verdict('register', history)).toBe(true);
    expect(await verdict('register', history, undefined, 'splitbrain')).toBe(false);
    await pair('register', `${w(0, '1')}\n${r(1, 'nil')}\n${r(1, '1')}`, `${w(0, '1')}\n${r(1, 'nil')}\n${r(1, '3')}`);
  });

  it('the default register starts at nil: a nil-valued write or init compares with =', async () => {
    await pair('register', `${w(0, 'nil')}\n${w(0, '2')}\n${r(1, '2')}`, `${w(0, '2')}\n${w(0, 'nil')}\n${r(1, '2')}`);
  });

  it('condp: an :f the record does not handle is an error, not a verdict', async () => {
    await expect(verdict('register', cas(0, '[nil 1]'))).rejects.toThrow(/has f "cas"; valid: read, write/);
  });
});

describe('knossos/model.clj CASRegister.step', () => {
  it(':write sets the register to the op value', async () => {
    await pair('cas-register', `${w(0, '4')}\n${r(1, '4')}`, `${w(0, '4')}\n${r(1, '0')}`, 0);
  });

  it(':cas [cur new] sets new when cur = value', async () => {
    await pair('cas-register', `${cas(0, '[0 5]')}\n${r(1, '5')}`, `${cas(0, '[0 5]')}\n${r(1, '0')}`, 0);
  });

  it(':cas whose cur differs from the value is inconsistent', async () => {
    await pair('cas-register', `${w(0, '2')}\n${cas(1, '[2 3]')}`, `${w(0, '2')}\n${cas(1, '[1 3]')}`, 0);
  });

  it(':cas from nil matches the nil initial register (Knossos\'s default init)', async () => {
    await pair('cas-register', cas(0, '[nil 1]'), cas(0, '[0 1]'));
  });

  it(':read whose value is nil is legal in every state; a specific value must equal it', async () => {
    await pair('cas-register', `${cas(0, '[0 7]')}\n${r(1, 'nil')}\n${r(1, '7')}`, `${cas(0, '[0 7]')}\n${r(1, 'nil')}\n${r(1, '0')}`, 0);
  });

  it('= compares structured values by content, maps in any key order', async () => {
    await pair('cas-register', `${w(0, '{:a 1 :b [2 3]}')}\n${r(1, '{:b [2 3] :a 1}')}`, `${w(0, '{:a 1 :b [2 3]}')}\n${r(1, '{:b [3 2] :a 1}')}`);
  });
});

describe('knossos/history.clj complete, without-failures, with-synthetic-infos', () => {
  it('complete: an ok op steps with its completion\'s value', async () => {
    const invokedAs1 = (v: string) => `{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :ok :f :write :value ${v}}`;
    await pair('cas-register', `${invokedAs1('2')}\n${r(1, '2')}`, `${invokedAs1('2')}\n${r(1, '1')}`);
  });

  it('without-failures: a failed op never happened', async () => {
    await pair('cas-register', `${w(0, '5', 'fail')}\n${r(1, '0')}`, `${w(0, '5', 'fail')}\n${r(1, '5')}`, 0);
  });

  it('info: a cas that timed out may have happened (with its invocation\'s value), or not', async () => {
    const infoCas = `{:process 0 :type :invoke :f :cas :value [0 3]}\n{:process 0 :type :info :f :cas :value nil}`;
    expect(await verdict('cas-register', `${infoCas}\n${r(1, '3')}`, 0)).toBe(true);
    expect(await verdict('cas-register', `${infoCas}\n${r(1, '0')}`, 0)).toBe(true);
    expect(await verdict('cas-register', `${infoCas}\n${r(1, '4')}`, 0)).toBe(false);
    // It takes effect once at most: the register cannot go back to 3 after a later write.
    expect(await verdict('cas-register', `${infoCas}\n${r(1, '3')}\n${w(1, '9')}\n${r(1, '3')}`, 0)).toBe(false);
  });

  it('with-synthetic-infos: an invoke that never completes is an info op', async () => {
    const pending = '{:process 0 :type :invoke :f :write :value 6}';
    await pair('register', `${pending}\n${r(1, '6')}`, `${pending}\n${r(1, '7')}`);
  });
});

describe('knossos/model.clj MultiRegister.step', () => {
  const txn = (p: number, invoke: string, ok: string) => `{:process ${p} :type :invoke :f :txn :value ${invoke}}\n{:process ${p} :type :ok :f :txn :value ${ok}}`;

  it(':write assocs the key; a later :read of the key must see it', async () => {
    await pair('multi-register', `${txn(0, '[[:write :x 1]]', '[[:write :x 1]]')}\n${txn(1, '[[:read :x nil]]', '[[:read :x 1]]')}`,
      `${txn(0, '[[:write :x 1]]', '[[:write :x 1]]')}\n${txn(1, '[[:read :x nil]]', '[[:read :x 2]]')}`);
  });

  it(':read of a key never written compares with nil; init sets keys', async () => {
    await pair('multi-register', txn(0, '[[:read :y nil]]', '[[:read :y 0]]'), txn(0, '[[:read :y nil]]', '[[:read :y 1]]'), { x: 0, y: 0 });
    expect(await verdict('multi-register', txn(0, '[[:read :y nil]]', '[[:read :y 0]]'))).toBe(false);
  });

  it('nil reads are always legal', async () => {
    await pair('multi-register', `${txn(0, '[[:write :x 1]]', '[[:write :x 1]]')}\n${txn(1, '[[:read :x nil]]', '[[:read :x nil] [:read :y nil]]')}`,
      `${txn(0, '[[:write :x 1]]', '[[:write :x 1]]')}\n${txn(1, '[[:read :x nil]]', '[[:read :x nil] [:read :y 1]]')}`);
  });

  it('reduce: micro-ops apply in order, a read seeing the txn\'s own earlier write', async () => {
    await pair('multi-register', txn(0, '[[:write :x 3] [:read :x nil]]', '[[:write :x 3] [:read :x 3]]'),
      txn(0, '[[:read :x nil] [:write :x 3]]', '[[:read :x 3] [:write :x 3]]'));
  });

  it('reduced: one inconsistent read makes the whole txn inconsistent (its writes never happen)', async () => {
    // A timed-out txn may have happened, but only if its read of x was consistent.
    const infoTxn = '{:process 0 :type :invoke :f :txn :value [[:read :x 9] [:write :y 1]]}\n{:process 0 :type :info :f :txn}';
    const history = (v: string) => `${infoTxn}\n${txn(1, '[[:read :y nil]]', `[[:read :y ${v}]]`)}`;
    await pair('multi-register', history('nil'), history('1'), { x: 0 });
    expect(await verdict('multi-register', history('1'), { x: 9 })).toBe(true);
  });

  it('assert (= (:f op) :txn): any other :f is an error', async () => {
    await expect(verdict('multi-register', r(0, '1'))).rejects.toThrow(/has f "read"; valid: txn/);
  });
});

describe('knossos/model.clj Mutex.step', () => {
  const op = (p: number, f: string, type = 'ok') => `{:process ${p} :type :invoke :f :${f}}\n{:process ${p} :type :${type} :f :${f}}`;

  it(':acquire is legal only when the mutex is free', async () => {
    await pair('mutex', `${op(0, 'acquire')}\n${op(0, 'release')}\n${op(1, 'acquire')}`, `${op(0, 'acquire')}\n${op(1, 'acquire')}`);
  });

  it(':release is legal only when the mutex is held', async () => {
    await pair('mutex', `${op(0, 'acquire')}\n${op(0, 'release')}`, `${op(0, 'acquire')}\n${op(0, 'release')}\n${op(1, 'release')}`);
  });

  it('a failed or timed-out acquire may leave the mutex free', async () => {
    expect(await verdict('mutex', `${op(0, 'acquire', 'fail')}\n${op(1, 'acquire')}`)).toBe(true);
    expect(await verdict('mutex', `${op(0, 'acquire', 'info')}\n${op(1, 'acquire')}`)).toBe(true);
    expect(await verdict('mutex', `${op(0, 'acquire', 'info')}\n${op(1, 'release')}`)).toBe(true);
  });
});

describe('clojure =', () => {
  it('is nil-aware, deep, and order-insensitive for maps only', () => {
    expect(clojureEqual(null, undefined)).toBe(true);
    expect(clojureEqual({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true);
    expect(clojureEqual([1, 2], [2, 1])).toBe(false);
    expect(clojureEqual({ a: null }, {})).toBe(false);
    expect(clojureEqual([1], { 0: 1 })).toBe(false);
    expect(clojureEqual(1, '1')).toBe(false);
    expect(clojureKey({ b: 1, a: 2 })).toBe(clojureKey({ a: 2, b: 1 }));
    expect(clojureKey(1)).not.toBe(clojureKey('1'));
  });
});
