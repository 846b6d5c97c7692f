// test/support/layering.ts — the "may import" table and the determinism bans, as data and a checker over source text.
//
// TigerBeetle's tidy idea: the layers are a test, not a convention. The table is written out in
// README "Architecture"; change both together.

/** Layer: a folder (or file) prefix and the prefixes of our code it may import. */
export interface Layer {
  name: string;
  /** Path prefixes (relative to the repository root) that belong to this layer. */
  paths: string[];
  /** Path prefixes this layer may import, besides itself; '*' is everything. */
  mayImport: string[];
  /** External packages this layer may import besides node: builtins; '*' is any. */
  packages: string[];
}

const TEST_PACKAGES = ['vitest', 'fast-check'];
const NO_TEST_PACKAGE = 'not a test package';

/**
 * LAYERS: the first layer whose path prefix matches a file owns it. Unit tests (`*.test.ts`)
 * anywhere belong to the test layer, whatever folder they sit in.
 */
export const LAYERS: readonly Layer[] = [
  { name: 'test', paths: ['test/'], mayImport: ['*'], packages: ['*'] },
  { name: 'lib', paths: ['lib/'], mayImport: [], packages: [] },
  { name: 'history', paths: ['history/'], mayImport: ['lib/'], packages: [] },
  // The checker's worker bootstrap registers tsx to load its TypeScript entry in a worker thread.
  { name: 'checker', paths: ['checker/'], mayImport: ['history/', 'lib/'], packages: ['tsx'] },
  { name: 'rsm', paths: ['rsm/'], mayImport: ['lib/'], packages: ['commander'] },
  // cluster/sim runs every protocol core in one process: it drives cores and the runtime's effect ordering, and serves the client library's transport.
  { name: 'cluster/sim', paths: ['cluster/sim/'], mayImport: ['lib/', 'rsm/', 'cluster/types.ts', 'db/rsm.ts'], packages: [] },
  // cluster/ launches whatever NodeProgram it is given; it shares the rsm node's lifeline env contract (cluster/local/lifeline.ts).
  // Its two hold-cluster tools (interrupt tests, debugging) start an rsm Db.
  { name: 'cluster', paths: ['cluster/'], mayImport: ['lib/', 'rsm/node/lifeline.ts', 'db/rsm.ts'], packages: ['dockerode', 'ssh2', 'yaml', 'zod'] },
  // db/: what runs on a node. It implements cluster/'s NodeProgram and workloads' client interface; the rsm Db uses rsm/'s client and protocol list,
  // and offers the registered fault kinds (those that change who the servers are where a protocol survives them).
  { name: 'db', paths: ['db/'], mayImport: ['cluster/types.ts', 'cluster/host-packages.ts', 'workloads/types.ts', 'history/', 'lib/', 'rsm/client/', 'rsm/protocols.ts', 'nemesis/faults/registry.ts', 'nemesis/faults/fault.ts'], packages: [NO_TEST_PACKAGE, '*'] },
  { name: 'nemesis', paths: ['nemesis/'], mayImport: ['cluster/types.ts', 'cluster/grudge.ts', 'lib/'], packages: ['yaml', 'zod'] },
  { name: 'workloads', paths: ['workloads/'], mayImport: ['history/', 'checker/', 'lib/'], packages: [] },
  // reports draw each fault kind with its own label, colour and words (its module, through the registry).
  { name: 'reports', paths: ['reports/'], mayImport: ['history/', 'checker/', 'lib/', 'nemesis/faults/registry.ts'], packages: ['playwright-core', 'uplot'] },
  { name: 'control', paths: ['control/'], mayImport: ['lib/', 'history/', 'checker/', 'rsm/', 'cluster/', 'db/', 'nemesis/', 'workloads/', 'reports/'], packages: [NO_TEST_PACKAGE, '*'] },
  { name: 'tools', paths: ['bench/', 'scripts/'], mayImport: ['*'], packages: [NO_TEST_PACKAGE, '*'] },
];

/** BANNED: what a deterministic file may not reach for: the wall clock, randomness, timers, sockets, files, await. */
export const BANNED: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /\bDate\.now\b|\bnew Date\(/, what: 'the wall clock (Date)' },
  { pattern: /\bperformance\.now\b/, what: 'the monotonic clock (performance.now)' },
  { pattern: /\bMath\.random\b/, what: 'unseeded randomness (Math.random)' },
  { pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, what: 'timers' },
  { pattern: /['"]node:(net|fs|fs\/promises|http|https|dgram|child_process|worker_threads|timers)['"]/, what: 'I/O modules (node:net, node:fs, ...)' },
  { pattern: /\bawait\b/, what: 'await' },
];

/**
 * DETERMINISTIC: files under these prefixes must avoid BANNED: every protocol core (and the
 * KV state machine and core contract they share) and the checker's search. The checkers'
 * entry points own the clock (deadlines) and worker threads, so they are the exceptions.
 */
export const DETERMINISTIC = {
  paths: ['lib/rng.ts', 'lib/assert.ts', 'rsm/core/', 'rsm/kv/state-machine.ts', 'rsm/naive/', 'rsm/primary-backup/', 'rsm/async-backup/', 'rsm/viewservice/', 'rsm/raft/', 'rsm/paxos/', 'rsm/single/', 'rsm/gossip/', 'checker/'],
  except: ['checker/linearizable/check.ts', 'checker/linearizable/workers.ts', 'checker/linearizable/worker-main.ts', 'checker/linearizable/worker-bootstrap.mjs', 'checker/elle/check.ts'],
};

/** isTestFile: unit tests next to their code count as the test layer. */
function isTestFile(file: string): boolean {
  return /\.test\.[cm]?[jt]s$/.test(file);
}

/** layerOf returns the layer owning `file` (a repository-relative path), or null for root files. */
export function layerOf(file: string): Layer | null {
  if (isTestFile(file)) return LAYERS[0];
  return LAYERS.find((l) => l.paths.some((p) => file.startsWith(p))) ?? null;
}

/**
 * stripComments blanks comments (keeping line breaks and string literals), so a rule quoted in
 * a comment is not a violation and line numbers stay right.
 */
export function stripComments(source: string): string {
  return source.replace(/('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str: string | undefined) =>
    str !== undefined ? m : m.replace(/[^\n]/g, ' '));
}

/** ImportSite: one module specifier and the line it is on. */
export interface ImportSite {
  spec: string;
  line: number;
}

const IMPORT_RE = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** importsOf lists every static and dynamic import (and re-export) specifier of a source text. */
export function importsOf(source: string): ImportSite[] {
  const text = stripComments(source);
  const out: ImportSite[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ spec: m[1] ?? m[2], line });
  }
  return out;
}

/** resolveRelative turns `./x.ts` seen from `file` into a repository-relative path. */
export function resolveRelative(file: string, spec: string): string {
  const parts = file.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function allowedPath(layer: Layer, target: string): boolean {
  if (layer.mayImport.includes('*')) return true;
  if (layer.paths.some((p) => target.startsWith(p))) return true;
  return layer.mayImport.some((p) => target.startsWith(p));
}

function allowedPackage(layer: Layer, pkg: string): boolean {
  if (pkg.startsWith('node:')) return true;
  if (layer.packages.includes(NO_TEST_PACKAGE) && TEST_PACKAGES.includes(pkg)) return false;
  return layer.packages.includes('*') || layer.packages.includes(pkg);
}

/** importViolations checks one file's imports against LAYERS; each message names file:line and the rule. */
export function importViolations(file: string, source: string): string[] {
  const layer = layerOf(file);
  if (layer === null) return [];
  const out: string[] = [];
  for (const { spec, line } of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = resolveRelative(file, spec);
      if (!allowedPath(layer, target)) {
        const allowed = layer.mayImport.length === 0 ? 'nothing of ours' : layer.mayImport.join(', ');
        out.push(`${file}:${line}: imports ${target}, but ${layer.name} (${layer.paths.join(', ')}) may import only ${allowed}`);
      }
    } else if (!allowedPackage(layer, packageName(spec))) {
      const allowed = layer.packages.filter((p) => p !== NO_TEST_PACKAGE);
      out.push(`${file}:${line}: imports package ${packageName(spec)}, but ${layer.name} may import only node: builtins${allowed.length > 0 ? ` and ${allowed.join(', ')}` : ''}${TEST_PACKAGES.includes(packageName(spec)) ? ' (test packages belong to tests and test/support)' : ''}`);
    }
  }
  return out;
}

/** mustBeDeterministic: whether `file` falls under the determinism bans. */
export function mustBeDeterministic(file: string): boolean {
  if (isTestFile(file) || DETERMINISTIC.except.includes(file)) return false;
  return DETERMINISTIC.paths.some((p) => file.startsWith(p));
}

/** determinismViolations lists each banned use in a deterministic file, naming file:line and what it reaches for. */
export function determinismViolations(file: string, source: string): string[] {
  if (!mustBeDeterministic(file)) return [];
  const out: string[] = [];
  stripComments(source).split('\n').forEach((text, i) => {
    for (const { pattern, what } of BANNED) {
      if (pattern.test(text)) out.push(`${file}:${i + 1}: reaches for ${what}; protocol cores and the checker's search take time, randomness and I/O from their caller`);
    }
  });
  return out;
}
