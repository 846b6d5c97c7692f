// cluster/ports.test.ts — the port picker never hands out a port that Node's fetch refuses.
//
// A CI run's view server drew 10080 (a Fetch "bad port") as its HTTP port: it served the
// cluster, but every /status probe failed for the whole run, so roles.jsonl had no line of it.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchBlocks, reservePorts } from './ports.ts';

describe('reservePorts', () => {
  it('skips a drawn port that fetch refuses and draws again', async () => {
    // Draws that land on 10080 first, then on 10081 (the range is 10000 up to the ephemeral range).
    const high = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) - 1;
    const at = (port: number): number => (port - 10_000 + 0.5) / (high - 10_000);
    const draws = [at(10_080), at(10_080), at(10_081)];
    const ports = await reservePorts(1, new Set(), () => draws.shift() ?? Math.random());
    expect(fetchBlocks(10_080)).toBe(true);
    expect(ports).toHaveLength(1);
    expect(ports[0]).not.toBe(10_080);
    expect(draws).toEqual([]);
  });

  it('fetchBlocks names a port Node\'s fetch really refuses, and not a port it reaches', async () => {
    const answer = async (port: number): Promise<string> => {
      const server = http.createServer((_, res) => res.end('ok'));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      try {
        const bound = (server.address() as AddressInfo).port;
        return await fetch(`http://127.0.0.1:${bound}/`).then((r) => r.text(), (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message));
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    };
    const [free] = await reservePorts(1);
    expect(fetchBlocks(free)).toBe(false);
    expect(await answer(free)).toBe('ok');
    // The refusal comes before any connection is tried: no server is needed on 10080.
    const refused = await fetch('http://127.0.0.1:10080/').then(() => 'answered', (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message));
    expect(refused).toBe('bad port');
  });
});
