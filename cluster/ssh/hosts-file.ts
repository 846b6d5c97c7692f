// cluster/ssh/hosts-file.ts — the hosts.yaml of --cluster ssh: which machines run the nodes and how to log in.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

/** HostsFileError: a bad hosts file; the message names file:line and the key (the CLI exits 3 on it). */
export class HostsFileError extends Error {
  override name = 'HostsFileError';
}

/** SshHost: one machine, as the control node logs into it. Secrets are never read here, only paths. */
export interface SshHost {
  /** The address the control node dials and the other nodes reach this one by (an IP or a name every host resolves). */
  address: string;
  port: number;
  user: string;
  /** A private key file, or null to ask the ssh agent ($SSH_AUTH_SOCK). */
  keyFile: string | null;
  /** Prefix every command with `sudo -n` (a non-root user with passwordless sudo). */
  sudo: boolean;
  /** Where the file lists this host (`hosts.yaml:5: hosts[1]`), for refusals; absent for a host not read from a file. */
  origin?: string;
}

/** HostsFile: the parsed file: hosts in order (node k runs on host k). */
export interface HostsFile {
  hosts: SshHost[];
  /** known_hosts file the host keys are checked against. */
  knownHosts: string;
  /** Install the DB's Debian packages with apt-get on every host before the run. */
  aptInstall: boolean;
  /** Where the file lists its hosts (`hosts.yaml:3: hosts`), for refusals about their number. */
  origin?: string;
}

const HOST = z.strictObject({
  address: z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'an IP address or host name'),
  port: z.number().int().min(1).max(65_535).optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a user name').optional(),
  key: z.string().min(1).optional(),
  agent: z.boolean().optional(),
  sudo: z.boolean().optional(),
});

const FILE = z.strictObject({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a user name').optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  key: z.string().min(1).optional(),
  agent: z.boolean().optional(),
  sudo: z.boolean().optional(),
  'known-hosts': z.string().min(1).optional(),
  'apt-install': z.boolean().optional(),
  // A bare string is a host's address.
  hosts: z.array(z.preprocess((h) => (typeof h === 'string' ? { address: h } : h), HOST)).min(1),
});

/** expandHome turns a leading ~/ into the control user's home; relative paths are from the hosts file's directory. */
function resolvePath(file: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(path.dirname(file), p);
}

/** lineOf: the 1-based line of the node at `at` in the document (the closest existing ancestor). */
function lineOf(doc: Document, counter: LineCounter, at: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0;
  for (const key of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (pair === undefined) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
      offset = (node as { range?: number[] }).range?.[0] ?? offset;
    } else break;
  }
  return counter.linePos(offset).line;
}

/** parseHostsFile reads and checks a hosts.yaml; a bad file is a HostsFileError naming file:line and the key (exit 3). */
export function parseHostsFile(file: string): HostsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostsFileError(`--hosts ${file}: cannot read it: ${(err as Error).message}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new HostsFileError(`${file}:${counter.linePos(e.pos[0]).line}: not YAML: ${e.message.split('\n')[0]}`);
  }
  const parsed = FILE.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const key = at.length === 0 ? '(top level)' : at.map((k) => (typeof k === 'number' ? `[${k}]` : String(k))).join('.').replace(/\.\[/g, '[');
    throw new HostsFileError(`${file}:${lineOf(doc, counter, at)}: ${key}: ${issue.message}`);
  }
  const f = parsed.data;
  const hosts = f.hosts.map((h, i): SshHost => {
    const entry = h;
    const key = entry.key ?? f.key;
    if ((entry.key !== undefined && entry.agent === true) || (f.key !== undefined && f.agent === true)) {
      throw new HostsFileError(`${file}:${lineOf(doc, counter, entry.key !== undefined ? ['hosts', i] : ['agent'])}: ${entry.key !== undefined ? `hosts[${i}]` : 'agent'}: give either key or agent: true, not both`);
    }
    // A host's own key or agent wins over the top-level ones; with neither anywhere, the agent.
    const agent = entry.agent ?? (entry.key !== undefined ? false : (f.agent ?? key === undefined));
    return {
      address: entry.address,
      port: entry.port ?? f.port ?? 22,
      user: entry.user ?? f.user ?? 'root',
      keyFile: agent ? null : resolvePath(file, key!),
      sudo: entry.sudo ?? f.sudo ?? false,
      origin: `${file}:${lineOf(doc, counter, ['hosts', i])}: hosts[${i}]`,
    };
  });
  const seen = new Set<string>();
  for (const [i, h] of hosts.entries()) {
    const id = `${h.address}:${h.port}`;
    if (seen.has(id)) throw new HostsFileError(`${file}:${lineOf(doc, counter, ['hosts', i])}: hosts[${i}]: ${id} is listed twice (one node per host)`);
    seen.add(id);
  }
  const knownHosts = f['known-hosts'] !== undefined ? resolvePath(file, f['known-hosts']) : path.join(os.homedir(), '.ssh', 'known_hosts');
  return { hosts, knownHosts, aptInstall: f['apt-install'] ?? false, origin: `${file}:${lineOf(doc, counter, ['hosts'])}: hosts` };
}
