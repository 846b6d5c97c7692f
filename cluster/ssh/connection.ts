// cluster/ssh/connection.ts — one SSH connection to one host (ssh2): shell scripts in, output and exit codes out.
//
// The connection is checked against known_hosts before any credential is offered. A connection
// that closes or stops answering keepalives while the cluster still needs it is "lost": every
// later call fails naming the host, and the cluster reports the run as crashed (MachineryHealth).
import * as fs from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { SshHost } from './hosts-file.ts';
import { checkHostKey } from './known-hosts.ts';

const KEEPALIVE_MS = 1000;
/** KEEPALIVE_MISSES: unanswered keepalives before the host counts as gone (~3 s). */
const KEEPALIVE_MISSES = 3;
const CONNECT_TIMEOUT_MS = 15_000;

/** shq quotes a string for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** connectFailure: why a connection failed, with what to check (the key offered, sshd and the port). */
function connectFailure(host: SshHost, err: Error & { level?: string; code?: string }): string {
  if (err.level === 'client-authentication') {
    const offered = host.keyFile === null ? "the ssh agent's keys ($SSH_AUTH_SOCK)" : `the key ${host.keyFile}`;
    return `${err.message}: user ${host.user} was not let in with ${offered}; is its public key in the host's authorized_keys for that user?`;
  }
  if (err.code === 'ECONNREFUSED') return `cannot reach it (${err.message}): is sshd running there, on port ${host.port}?`;
  if (err.level === 'client-timeout' || err.code === 'EHOSTUNREACH' || err.code === 'ETIMEDOUT' || err.code === 'ENETUNREACH') return `cannot reach it (${err.message}): is the address right and the host up?`;
  return err.message;
}

/** ExecResult: what one remote script did. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** HostKeyPolicy: check against a known_hosts file, or (loudly) accept any key. */
export type HostKeyPolicy = { knownHosts: string } | { ignore: true };

/** HostConnection: an open session to one host, for the node `node` runs there. */
export class HostConnection {
  private lostError: Error | null = null;
  private closing = false;
  private readonly watchers = new Set<ClientChannel>();

  private constructor(readonly host: SshHost, readonly node: string, private readonly client: Client) {
    const onGone = (why: string): void => {
      if (this.closing || this.lostError !== null) return;
      this.lostError = new Error(`ssh: lost the connection to host ${this.where} (node ${node}): ${why}`);
    };
    client.on('error', (err) => onGone(err.message));
    client.on('close', () => onGone('connection closed'));
  }

  /** where: user@address:port, as messages name the host. */
  get where(): string {
    return `${this.host.user}@${this.host.address}:${this.host.port}`;
  }

  /** lost: why the connection is gone while still needed, or null. */
  get lost(): Error | null {
    return this.lostError;
  }

  /** connect opens the session; the host key is checked first, the private key is read here and kept nowhere. */
  static connect(host: SshHost, node: string, policy: HostKeyPolicy): Promise<HostConnection> {
    const where = `${host.user}@${host.address}:${host.port}`;
    const config: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      readyTimeout: CONNECT_TIMEOUT_MS,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_MISSES,
    };
    let refused: string | null = null;
    config.hostVerifier = (key: Buffer): boolean => {
      if ('ignore' in policy) return true;
      refused = checkHostKey(policy.knownHosts, host.address, host.port, key);
      return refused === null;
    };
    if (host.keyFile !== null) {
      try {
        config.privateKey = fs.readFileSync(host.keyFile);
      } catch (err) {
        return Promise.reject(new Error(`ssh ${where}: cannot read key file ${host.keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`));
      }
      const passphrase = process.env.SPLITBRAIN_SSH_PASSPHRASE;
      if (passphrase !== undefined && passphrase !== '') config.passphrase = passphrase;
    } else {
      const agent = process.env.SSH_AUTH_SOCK;
      if (agent === undefined || agent === '') return Promise.reject(new Error(`ssh ${where}: no key file given and no ssh agent ($SSH_AUTH_SOCK is unset)`));
      config.agent = agent;
    }
    return new Promise((resolve, reject) => {
      const client = new Client();
      const fail = (err: Error): void => {
        client.end();
        reject(new Error(`ssh ${where}: ${refused ?? connectFailure(host, err)}`));
      };
      client.once('error', fail);
      client.once('ready', () => {
        client.off('error', fail);
        resolve(new HostConnection(host, node, client));
      });
      client.connect(config);
    });
  }

  /** command: the script as the one command line ssh runs (`sh -c`, under `sudo -n` when the host asks for it). */
  private command(script: string): string {
    const sh = `sh -c ${shq(`PATH="$PATH:/usr/sbin:/sbin"; ${script}`)}`;
    return this.host.sudo ? `sudo -n ${sh}` : sh;
  }

  /** exec runs a script; `stdin` is written to it and closed. */
  exec(script: string, stdin?: Buffer | string): Promise<ExecResult> {
    return this.execLine(this.command(script), stdin);
  }

  /**
   * sudoRefusal: null when the login may run commands as root (it is root, or `sudo -n` works
   * without a password), else why not, in words naming the host's setting to change.
   */
  async sudoRefusal(): Promise<string | null> {
    if (!this.host.sudo) {
      const id = await this.execLine('id -u');
      if (id.stdout.trim() === '0') return null;
      return `user ${this.host.user} is not root (uid ${id.stdout.trim() || '?'}): partitions and packet faults need root; log in as root or set sudo: true (passwordless sudo)`;
    }
    const res = await this.execLine('sudo -n id -u');
    if (res.code === 0 && res.stdout.trim() === '0') return null;
    const why = (res.stderr || res.stdout).trim().split('\n').slice(-1)[0] || `exit ${res.code}`;
    return `sudo: true, but \`sudo -n id -u\` as ${this.host.user} failed (${why}): the user needs passwordless sudo (a NOPASSWD line in sudoers)`;
  }

  /** execLine runs one command line as the login user sees it. */
  private execLine(line: string, stdin?: Buffer | string): Promise<ExecResult> {
    if (this.lostError !== null) return Promise.reject(this.lostError);
    return new Promise((resolve, reject) => {
      this.client.exec(line, (err, stream) => {
        if (err !== undefined && err !== null) {
          reject(this.lostError ?? new Error(`ssh ${this.where}: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('close', (code: number | null) => {
          if (code === null && this.lostError !== null) reject(this.lostError);
          else resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
        });
        stream.end(stdin);
      });
    });
  }

  /** run is exec that fails unless the script exits 0; the message names the host and the script's stderr. */
  async run(script: string, stdin?: Buffer | string): Promise<string> {
    const res = await this.exec(script, stdin);
    if (res.code !== 0) {
      const what = script.length > 120 ? `${script.slice(0, 117)}...` : script;
      throw new Error(`ssh ${this.where}: \`${what}\` exited ${res.code}: ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    }
    return res.stdout;
  }

  /**
   * hold starts a script that reads its stdin until the connection ends, then runs `onEnd` on
   * the host: if the control node dies, the host cleans up after it (the watchdog).
   */
  hold(onEnd: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // cat blocks on the channel until it closes (the control node exited or the link broke).
      // Its output pipes are gone by then: the clean-up writes nowhere and ignores SIGHUP and SIGPIPE.
      this.client.exec(this.command(`trap '' HUP PIPE; cat >/dev/null; { ${onEnd}; } >/dev/null 2>&1`), (err, stream) => {
        if (err !== undefined && err !== null) {
          reject(new Error(`ssh ${this.where}: ${err.message}`));
          return;
        }
        this.watchers.add(stream);
        stream.on('close', () => this.watchers.delete(stream));
        stream.resume();
        resolve();
      });
    });
  }

  /** close ends the session (watchdogs first: their clean-up is then a no-op, the cluster did it). */
  close(): void {
    this.closing = true;
    for (const w of this.watchers) w.end();
    this.client.end();
  }
}
