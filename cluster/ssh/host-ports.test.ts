// cluster/ssh/host-ports.test.ts — reading a host's listening sockets (ss, /proc/net/tcp), which of a DB's ports they hold, and the refusal's words.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdDbFactory } from '../../db/etcd/index.ts';
import { blocksNodeBind, describeTaken, parseListenersOutput, parseProcNetTcp, parseSsListeners, serviceOfCgroup, takenPorts, unitsOfPids } from './host-ports.ts';

const SS = `State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
LISTEN 0      4096       127.0.0.1:2379       0.0.0.0:*     users:(("etcd",pid=812,fd=8))
LISTEN 0      4096       127.0.0.1:2380       0.0.0.0:*     users:(("etcd",pid=812,fd=7),("etcd",pid=812,fd=9))
LISTEN 0      128          0.0.0.0:22         0.0.0.0:*     users:(("sshd",pid=90,fd=3))
LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*
LISTEN 0      128             [::]:22            [::]:*     users:(("sshd",pid=90,fd=4))
LISTEN 0      511            [::1]:6379          [::]:*
LISTEN 0      511                *:26379            *:*
`;

const PROC = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0950 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 124 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D8E6 0100007F:0950 01 00000000:00000000 03:000010E7 00000000     0        0 0 3 0000000000000000
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000A00000A:0954 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
`;

describe('parseSsListeners', () => {
  it('reads address, port and the first process of each LISTEN line, header, scope and brackets aside', () => {
    expect(parseSsListeners(SS)).toEqual([
      { address: '127.0.0.1', port: 2379, process: { name: 'etcd', pid: 812 } },
      { address: '127.0.0.1', port: 2380, process: { name: 'etcd', pid: 812 } },
      { address: '0.0.0.0', port: 22, process: { name: 'sshd', pid: 90 } },
      { address: '127.0.0.53', port: 53 },
      { address: '::', port: 22, process: { name: 'sshd', pid: 90 } },
      { address: '::1', port: 6379 },
      { address: '*', port: 26379 },
    ]);
  });
});

describe('parseProcNetTcp', () => {
  it('reads the LISTEN (0A) sockets of tcp and tcp6, addresses in the kernel word order', () => {
    expect(parseProcNetTcp(PROC)).toEqual([
      { address: '127.0.0.1', port: 2384 },
      { address: '::', port: 22 },
      { address: '::1', port: 6379 },
      { address: '::ffff:10.0.0.10', port: 2388 },
    ]);
  });
});

describe('blocksNodeBind (the node binds 0.0.0.0)', () => {
  it('counts IPv4 sockets, the IPv6 wildcard and v4-mapped addresses, not another IPv6 address', () => {
    expect(['127.0.0.1', '0.0.0.0', '::', '*', '::ffff:10.0.0.1', '::1', 'fe80::1'].map((address) => blocksNodeBind({ address, port: 1 }))).toEqual([true, true, true, true, true, false, false]);
  });
});

describe('takenPorts and describeTaken', () => {
  const etcd = etcdDbFactory({ nodeCount: 3, bugs: [], settings: {} });
  it("names etcd's two ports held by the distribution's etcd.service, its process and the systemctl line", () => {
    const taken = takenPorts(etcd, parseSsListeners(SS));
    expect(taken.map((t) => t.spec.name)).toEqual(['client', 'peer']);
    const units = unitsOfPids('812 0::/system.slice/etcd.service\n');
    expect(describeTaken('etcd', taken, 'ss', units)).toBe(
      '--db etcd listens on 0.0.0.0 ports 2379 (client), 2380 (peer) there, but they are taken: 127.0.0.1:2379 by etcd (pid 812, etcd.service), 127.0.0.1:2380 by etcd (pid 812, etcd.service); ' +
        "the package's own service holds them (a package's service starts when installed): `systemctl disable --now etcd.service` there",
    );
  });
  it('without a unit, or without ss, says what it knows and the generic fix', () => {
    const one = takenPorts(etcd, [{ address: '::', port: 2380 }, { address: '::1', port: 2379 }]);
    expect(one.map((t) => t.spec.name)).toEqual(['peer']);
    expect(describeTaken('etcd', one, '/proc/net/tcp', new Map())).toMatch(/^--db etcd listens on 0\.0\.0\.0 port 2380 \(peer\) there, but it is taken: \[::\]:2380; the host has no ss, so who holds it is unknown/);
    expect(takenPorts(etcd, parseSsListeners(SS.replace(/127\.0\.0\.1:23/g, '[::1]:23')))).toEqual([]);
  });
  it('reads the systemd unit only from a system.slice service cgroup', () => {
    expect(serviceOfCgroup('0::/system.slice/redis-server.service')).toBe('redis-server.service');
    expect(serviceOfCgroup('1:name=systemd:/system.slice/postgresql@15-main.service')).toBe('postgresql@15-main.service');
    expect(serviceOfCgroup('0::/user.slice/user-0.slice/session-3.scope')).toBeNull();
    expect(serviceOfCgroup('0::/')).toBeNull();
    expect([...unitsOfPids('7 0::/init.scope\n9 0::/system.slice/etcd.service\n').entries()]).toEqual([[9, 'etcd.service']]);
  });
  it('parseListenersOutput reads the source line, and says none when the host has neither', () => {
    expect(parseListenersOutput(`ss\n${SS}`)).toMatchObject({ source: 'ss' });
    expect(parseListenersOutput(`proc\n${PROC}`)).toEqual({ source: '/proc/net/tcp', listeners: parseProcNetTcp(PROC) });
    expect(parseListenersOutput('none\n')).toEqual({ source: 'none' });
  });
});

describe("this machine's own sockets", () => {
  let server: net.Server;
  let port = 0;
  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => server.close());

  it('a listener opened here is found in /proc/net/tcp', () => {
    const text = fs.readFileSync('/proc/net/tcp', 'utf8');
    expect(parseProcNetTcp(text)).toContainEqual({ address: '127.0.0.1', port });
  });
  it('and by `ss -ltnp`, with this process', () => {
    const found = parseSsListeners(execFileSync('ss', ['-ltnp'], { encoding: 'utf8' })).find((l) => l.port === port);
    expect(found).toMatchObject({ address: '127.0.0.1', port, process: { pid: process.pid } });
  });
});
