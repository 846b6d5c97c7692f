// cluster/docker/firewall.ts — one node's iptables rules in its network container: grudge drops and client-side cuts.
import type Docker from 'dockerode';
import { execIn, execOk } from './engine.ts';
import { IMAGE_PATHS } from './image.ts';

/** probeIptables finds the iptables front end that works in this kernel (nft first, then legacy). */
export async function probeIptables(docker: Docker, net: Docker.Container): Promise<string> {
  const tried: string[] = [];
  for (const bin of [IMAGE_PATHS.iptablesNft, IMAGE_PATHS.iptablesLegacy]) {
    const res = await execIn(docker, net, [bin, '-w', '-L', 'INPUT', '-n']).catch((err: Error) => ({ exitCode: -1, output: err.message }));
    if (res.exitCode === 0) return bin;
    tried.push(`${bin}: ${res.output.trim().split('\n')[0]}`);
  }
  throw new Error(`docker cluster: no working iptables in the node image (${tried.join('; ')})`);
}

/**
 * NodeFirewall keeps one node's rules equal to what was last asked: the source addresses its
 * INPUT chain drops (Jepsen's grudge) and the client-side ports it drops. Rules are added
 * before stale ones are deleted, so a changing partition never lets a packet through between.
 */
export class NodeFirewall {
  /** dropping: source addresses dropped now. */
  readonly dropping = new Set<string>();
  /** cutPorts: client-side ports dropped now. */
  readonly cutPorts = new Set<number>();

  constructor(private readonly docker: Docker, private readonly net: Docker.Container, private readonly bin: string) {}

  /** redirect sends TCP traffic for `port` to `toPort` (a client side's own port to the HTTP API). */
  async redirect(port: number, toPort: number): Promise<void> {
    await this.ipt(['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', String(port), '-j', 'REDIRECT', '--to-ports', String(toPort)]);
  }

  /** setDrops makes the INPUT chain drop exactly the sources in `want`. */
  async setDrops(want: ReadonlySet<string>): Promise<void> {
    const rule = (ip: string): string[] => ['INPUT', '-s', ip, '-j', 'DROP'];
    for (const ip of want) {
      if (this.dropping.has(ip)) continue;
      await this.ipt(['-A', ...rule(ip)]);
      this.dropping.add(ip);
    }
    for (const ip of [...this.dropping]) {
      if (want.has(ip)) continue;
      await this.ipt(['-D', ...rule(ip)]);
      this.dropping.delete(ip);
    }
  }

  /** setCutPorts drops client traffic to exactly the ports in `want` (before the nat redirect). */
  async setCutPorts(want: ReadonlySet<number>): Promise<void> {
    const rule = (port: number): string[] => ['-t', 'mangle', 'PREROUTING', '-p', 'tcp', '--dport', String(port), '-j', 'DROP'];
    for (const port of want) {
      if (this.cutPorts.has(port)) continue;
      await this.ipt(withAction(rule(port), '-A'));
      this.cutPorts.add(port);
    }
    for (const port of [...this.cutPorts]) {
      if (want.has(port)) continue;
      await this.ipt(withAction(rule(port), '-D'));
      this.cutPorts.delete(port);
    }
  }

  private async ipt(args: string[]): Promise<void> {
    await execOk(this.docker, this.net, [this.bin, '-w', ...args]);
  }
}

/** withAction puts the -A/-D action after a leading `-t TABLE`, where iptables expects it. */
function withAction(rule: string[], action: '-A' | '-D'): string[] {
  return rule[0] === '-t' ? [rule[0], rule[1], action, ...rule.slice(2)] : [action, ...rule];
}
