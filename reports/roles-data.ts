// reports/roles-data.ts — a run's roles.jsonl as lanes: per node, who it believed it was over time, and when several believed they led.
import { round } from './history-data.ts';

/** LEADING_ROLES: roles that mean "I take writes" (rsm: primary, leader; other DBs use the same words). */
export const LEADING_ROLES: readonly string[] = ['primary', 'leader', 'master'];
/** ROLE_SEGMENTS_MAX bounds the drawing (a flapping cluster keeps the first ones and says so). */
const ROLE_SEGMENTS_MAX = 20_000;

/** RoleSegment: one node believed `role` (null: did not answer) from startS to endS. Texts are untrusted. */
export interface RoleSegment {
  startS: number;
  endS: number;
  role: string | null;
  primary: string | null;
  /** term or view, when the node said. */
  epoch: number | null;
}

/** LeadOverlap: an interval in which two or more nodes each believed they led. */
export interface LeadOverlap {
  startS: number;
  endS: number;
  nodes: string[];
}

/** RolesData: the lanes, the overlaps and how much was dropped. */
export interface RolesData {
  lanes: { node: string; segments: RoleSegment[] }[];
  overlaps: LeadOverlap[];
  /** Lines of roles.jsonl that were not role lines (shown as a warning count). */
  badLines: number;
  capped: boolean;
}

interface Sample {
  timeS: number;
  node: string;
  role: string | null;
  primary: string | null;
  epoch: number | null;
}

/** parseSample reads one untrusted line; null when it is not a role line. */
function parseSample(line: string): Sample | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.time !== 'number' || !Number.isFinite(v.time) || typeof v.node !== 'string') return null;
  if (!(v.role === null || typeof v.role === 'string')) return null;
  const epoch = typeof v.term === 'number' ? v.term : typeof v.view === 'number' ? v.view : null;
  return { timeS: v.time / 1e9, node: v.node, role: v.role, primary: typeof v.primary === 'string' ? v.primary : null, epoch };
}

/** isLeading: the role says the node takes writes. */
export function isLeading(role: string | null): boolean {
  return role !== null && LEADING_ROLES.includes(role);
}

/**
 * rolesData turns roles.jsonl's text into lanes (in node order of first appearance, n1 before
 * n10 by natural order) ending at `endS`, and the intervals where two or more nodes led at once.
 */
export function rolesData(text: string, endS: number): RolesData {
  const samples: Sample[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const s = parseSample(line);
    if (s === null) badLines += 1;
    else samples.push(s);
  }
  samples.sort((a, b) => a.timeS - b.timeS);
  const end = Math.max(endS, samples.length === 0 ? 0 : samples[samples.length - 1].timeS);
  const byNode = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byNode.get(s.node);
    if (list === undefined) byNode.set(s.node, [s]);
    else list.push(s);
  }
  const nodes = [...byNode.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let count = 0;
  let capped = false;
  const lanes = nodes.map((node) => {
    const list = byNode.get(node)!;
    const segments: RoleSegment[] = [];
    list.forEach((s, i) => {
      if (count >= ROLE_SEGMENTS_MAX) {
        capped = true;
        return;
      }
      const next = i + 1 < list.length ? list[i + 1].timeS : end;
      segments.push({ startS: round(s.timeS, 6), endS: round(next, 6), role: s.role, primary: s.primary, epoch: s.epoch });
      count += 1;
    });
    return { node, segments };
  });
  return { lanes, overlaps: leadOverlaps(lanes), badLines, capped };
}

/** leadOverlaps sweeps the lanes' leading segments: where two or more are open at once is an overlap. */
export function leadOverlaps(lanes: RolesData['lanes']): LeadOverlap[] {
  const events: { t: number; node: string; open: boolean }[] = [];
  for (const lane of lanes) {
    for (const s of lane.segments) {
      if (!isLeading(s.role) || !(s.endS > s.startS)) continue;
      events.push({ t: s.startS, node: lane.node, open: true }, { t: s.endS, node: lane.node, open: false });
    }
  }
  // Closings first at equal times: a hand-over at one instant is not an overlap.
  events.sort((a, b) => a.t - b.t || Number(a.open) - Number(b.open));
  const leading = new Map<string, number>();
  const out: LeadOverlap[] = [];
  let current: LeadOverlap | null = null;
  for (const e of events) {
    leading.set(e.node, (leading.get(e.node) ?? 0) + (e.open ? 1 : -1));
    const who = [...leading.entries()].filter(([, n]) => n > 0).map(([node]) => node).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (current !== null && (who.length < 2 || who.join() !== current.nodes.join())) {
      current.endS = e.t;
      if (current.endS > current.startS) out.push(current);
      current = null;
    }
    if (current === null && who.length >= 2) current = { startS: e.t, endS: e.t, nodes: who };
  }
  return out;
}
