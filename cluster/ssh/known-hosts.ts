// cluster/ssh/known-hosts.ts — host keys checked against an OpenSSH known_hosts file (plain and hashed names).
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';

/** hostPattern: how known_hosts names a host: `addr` on port 22, `[addr]:port` otherwise. */
export function hostPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** nameMatches: one comma-separated name field entry against a host (`|1|salt|hash` hashed, or plain). */
function nameMatches(entry: string, host: string): boolean {
  if (entry.startsWith('|1|')) {
    const [, , salt, hash] = entry.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64') === hash;
  }
  return entry === host;
}

/** KnownHostKeys: the keys known_hosts lists for one host, base64 of the wire-format key. */
export function knownKeys(text: string, address: string, port: number): { keys: Set<string>; revoked: Set<string> } {
  const host = hostPattern(address, port);
  const keys = new Set<string>();
  const revoked = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith('@') ? fields.shift()! : null;
    const [names, , key] = fields;
    if (names === undefined || key === undefined) continue;
    // Wildcard patterns (*, ?, !) are not supported: only exact and hashed names match.
    if (!names.split(',').some((n) => nameMatches(n, host))) continue;
    if (marker === '@revoked') revoked.add(key);
    else if (marker === null) keys.add(key);
  }
  return { keys, revoked };
}

/**
 * checkHostKey: null when `key` (the raw key the server offered) is listed for the host in the
 * known_hosts file, else why the connection must be refused.
 */
export function checkHostKey(knownHostsFile: string, address: string, port: number, key: Buffer): string | null {
  let text: string;
  try {
    text = fs.readFileSync(knownHostsFile, 'utf8');
  } catch (err) {
    return `cannot read known_hosts ${knownHostsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const offered = key.toString('base64');
  const { keys, revoked } = knownKeys(text, address, port);
  if (revoked.has(offered)) return `the host key of ${hostPattern(address, port)} is revoked in ${knownHostsFile}`;
  if (keys.has(offered)) return null;
  if (keys.size === 0) return `${hostPattern(address, port)} is not in ${knownHostsFile} (add it with \`ssh-keyscan -p ${port} ${address} >> ${knownHostsFile}\` after checking its fingerprint)`;
  return `the host key of ${hostPattern(address, port)} does not match ${knownHostsFile}: someone may be in the middle, or the host was reinstalled`;
}
