// reports/nemesis-intervals.ts — turn nemesis invoke/info pairs into fault intervals by kind.
import type { Op } from '../history/op.ts';
import { FAULTS, faultOfF, type FaultKind as RegisteredKind } from '../nemesis/faults/registry.ts';
import { faultWords } from './fault-words.ts';

/** FaultKind: how the report groups nemesis ops (one colour each): a registered kind, or other. */
export type FaultKind = RegisteredKind | 'other';

/** FaultInterval: a fault in force from startS to endS (null = never healed in the history). */
export interface FaultInterval {
  kind: FaultKind;
  startS: number;
  endS: number | null;
  /** What was done, in words ("partition: n1 | n2 n3 (majority)", "killed n2"); untrusted text. */
  words: string;
  /** What was done, from the nemesis ops' raw values (untrusted text), shown behind a disclosure. */
  text: string;
}

/** FAULT_LEGEND: every kind with its colour and legend label, in legend order. */
export const FAULT_LEGEND: readonly { kind: FaultKind; color: string; label: string }[] = [
  ...FAULTS.map((m) => ({ kind: m.kind, color: m.report.color, label: m.report.label })),
  { kind: 'other', color: '#738694', label: 'other nemesis op' },
];

/** roleOf: the kind an op opens or closes, from its kind's module (undefined: neither). */
function roleOf(f: string, role: 'open' | 'close'): FaultKind | undefined {
  const m = faultOfF(f);
  return m !== undefined && m.ops[f].role === role ? (m.kind as FaultKind) : undefined;
}
const TEXT_CHARS_MAX = 300;

/** faultKindOf maps a nemesis f to its kind. */
export function faultKindOf(f: string): FaultKind {
  return (faultOfF(f)?.kind as FaultKind | undefined) ?? 'other';
}

function describe(op: Op): string {
  const value = op.value === undefined ? '' : ` ${JSON.stringify(op.value)}`;
  const error = op.error === undefined ? '' : ` (error: ${op.error})`;
  const text = `${op.f}${value}${error}`;
  return text.length > TEXT_CHARS_MAX ? `${text.slice(0, TEXT_CHARS_MAX)}…` : text;
}

/**
 * nemesisIntervals pairs nemesis ops into intervals. A fault opens at the invoke of its first
 * opening op (kill, start-partition, ...) and closes at the completion of the op that undoes
 * it (start, stop-partition, ...): the widest window in which it may have been in force.
 * Further openings while open extend the text. Unknown fs become instants of kind 'other'.
 * `timeS` maps an op to seconds on the report's axis.
 */
export function nemesisIntervals(history: readonly Op[], timeS: (op: Op) => number): FaultInterval[] {
  const open = new Map<FaultKind, FaultInterval>();
  // words of each open interval: one entry per opening op, the last one refined at its completion.
  const words = new Map<FaultInterval, string[]>();
  const invokeValue = new Map<FaultKind, unknown>();
  const done: FaultInterval[] = [];
  for (const op of history) {
    if (op.process !== 'nemesis') continue;
    const t = timeS(op);
    const opener = roleOf(op.f, 'open');
    const closer = roleOf(op.f, 'close');
    if (opener !== undefined) {
      const current = open.get(opener);
      if (op.type === 'invoke') invokeValue.set(opener, op.value);
      const said = faultWords(op.f, invokeValue.get(opener), op.type === 'invoke' ? undefined : op.value);
      if (current === undefined) {
        if (op.type !== 'invoke') continue;
        const interval: FaultInterval = { kind: opener, startS: t, endS: null, words: said, text: describe(op) };
        open.set(opener, interval);
        words.set(interval, [said]);
        continue;
      }
      const parts = words.get(current)!;
      if (op.type !== 'invoke') {
        parts[parts.length - 1] = said;
        current.text = appendText(current.text, `→ ${describe(op)}`);
      } else {
        if (!parts.includes(said)) parts.push(said);
        if (!current.text.includes(describe(op))) current.text = appendText(current.text, `; ${describe(op)}`);
      }
      current.words = clip(parts.join('; '));
    } else if (closer !== undefined) {
      const current = open.get(closer);
      if (current === undefined) continue;
      if (op.type === 'invoke') continue;
      current.endS = t;
      current.text = appendText(current.text, `; healed by ${describe(op)}`);
      done.push(current);
      open.delete(closer);
    } else if (op.type === 'invoke') {
      done.push({ kind: 'other', startS: t, endS: t, words: clip(faultWords(op.f, op.value, undefined)), text: describe(op) });
    }
  }
  for (const interval of open.values()) done.push(interval);
  return done.sort((a, b) => a.startS - b.startS);
}

function clip(text: string): string {
  return text.length > TEXT_CHARS_MAX ? `${text.slice(0, TEXT_CHARS_MAX)}…` : text;
}

function appendText(text: string, more: string): string {
  if (text.length >= TEXT_CHARS_MAX * 3) return text.endsWith('…') ? text : `${text} …`;
  return `${text} ${more}`;
}
