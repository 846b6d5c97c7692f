// reports/fault-words.ts — a nemesis op in words: "partition: n1 | n2 n3 (majority)", "killed n2", "clock n3 +812 ms".

type Grudge = Record<string, string[]>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isGrudge(value: unknown): value is Grudge {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.values(value).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'string'));
}

/**
 * grudgeWords: a clean partition as its components ("n1 | n2 n3"); any other grudge (a ring,
 * a bridge, a one-way cut) as who is cut from whom ("n1 cut from n3 n4; n2 cut from n4").
 */
export function grudgeWords(grudge: Grudge): string {
  const nodes = [...new Set([...Object.keys(grudge), ...Object.values(grudge).flat()])].sort();
  const cut = (a: string, b: string): boolean => (grudge[a] ?? []).includes(b) || (grudge[b] ?? []).includes(a);
  // Components: nodes joined when neither drops the other's traffic.
  const component = new Map(nodes.map((n, i) => [n, i]));
  for (const a of nodes) {
    for (const b of nodes) {
      if (a >= b || cut(a, b)) continue;
      const [from, to] = [component.get(a)!, component.get(b)!];
      for (const [n, c] of component) if (c === from) component.set(n, to);
    }
  }
  const groups = [...new Set(component.values())].map((c) => nodes.filter((n) => component.get(n) === c));
  const clean = groups.length > 1 && nodes.every((a) => nodes.every((b) => component.get(a) === component.get(b) ||
    ((grudge[a] ?? []).includes(b) && (grudge[b] ?? []).includes(a))));
  if (clean) return groups.map((g) => g.join(' ')).join(' | ');
  return Object.keys(grudge).sort().filter((n) => grudge[n].length > 0)
    .map((n) => `${n} cut from ${[...grudge[n]].sort().join(' ')}`).join('; ');
}

function signedMs(ms: number): string {
  return `${ms > 0 ? '+' : ms < 0 ? '−' : '±'}${Math.abs(ms)} ms`;
}

function nodesOf(invoke: unknown, outcome: unknown): string {
  const nodes = strings(record(outcome).nodes);
  const asked = strings(record(invoke).nodes);
  const target = record(invoke).target;
  const list = nodes.length > 0 ? nodes : asked;
  if (list.length > 0) return list.join(' ');
  return typeof target === 'string' ? `(${target})` : '(none)';
}

/**
 * faultWords says what one nemesis op did, from its invoke's value and (when it completed)
 * its completion's value; an op it does not know is its f and value.
 */
export function faultWords(f: string, invoke: unknown, outcome: unknown): string {
  const done = record(outcome);
  const asked = record(invoke);
  switch (f) {
    case 'start-partition': {
      const topology = done.topology ?? asked.topology;
      const label = typeof topology === 'string' ? ` (${topology.replace(/-/g, ' ')})` : '';
      const grudge = isGrudge(done.grudge) ? done.grudge : isGrudge(asked.grudge) ? asked.grudge : undefined;
      return `partition: ${grudge === undefined ? 'pending' : grudgeWords(grudge)}${label}`;
    }
    case 'stop-partition':
      return 'partition healed';
    case 'kill':
    case 'pause': {
      const primary = typeof done.primary === 'string' && strings(done.nodes).includes(done.primary) ? ` (primary ${done.primary})` : '';
      return `${f === 'kill' ? 'killed' : 'paused'} ${nodesOf(invoke, outcome)}${primary}`;
    }
    case 'start':
      return `restarted ${nodesOf(invoke, outcome)}`;
    case 'resume':
      return `resumed ${nodesOf(invoke, outcome)}`;
    case 'bump-clock':
    case 'strobe-clock': {
      const offsets = record(done.offsetsMs);
      const strobe = f === 'strobe-clock' ? ` (strobe every ${String(asked.periodMs)} ms for ${String(asked.durationMs)} ms)` : '';
      const entries = Object.entries(offsets).filter((e): e is [string, number] => typeof e[1] === 'number');
      if (entries.length > 0) return entries.map(([n, ms]) => `clock ${n} ${signedMs(ms)}`).join(', ') + strobe;
      const delta = typeof asked.deltaMs === 'number' ? ` ${signedMs(asked.deltaMs)}` : '';
      return `clock ${nodesOf(invoke, outcome)}${delta}${strobe}`;
    }
    case 'reset-clock':
      return `clocks reset on ${nodesOf(invoke, outcome)}`;
    default:
      return invoke === undefined ? f : `${f} ${JSON.stringify(invoke)}`;
  }
}
