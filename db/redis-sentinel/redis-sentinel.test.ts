// db/redis-sentinel/redis-sentinel.test.ts — configs, INFO parsing and what a redis-sentinel run refuses before it starts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBinaries } from './binaries.ts';
import { DEFAULT_TIMINGS, quorumOf, sentinelConfig, serverConfig } from './config.ts';
import { refusal, type RunShape } from '../support.ts';
import { LOCAL_PARTITION_NOTE, redisSentinelDbFactory, supervisorScript } from './index.ts';
import { roleFromInfo } from './probe.ts';

const RUN: RunShape = { workload: 'set', cluster: 'docker', faults: ['partition'], partitionClients: false };
const DB = redisSentinelDbFactory({ nodeCount: 3, bugs: [], settings: {} });

describe('redis-sentinel configs', () => {
  it('makes replicas of every node but the first and has a majority of sentinels fail over quickly', () => {
    const replica = serverConfig({ bind: '0.0.0.0', port: 6379, announce: { host: '10.0.0.12', port: 6379 }, dir: '/data', replicaOf: { host: '10.0.0.11', port: 6379 }, aof: 'off' });
    expect(replica).toMatch(/^replicaof 10\.0\.0\.11 6379$/m);
    expect(replica).toMatch(/^replica-announce-ip 10\.0\.0\.12$/m);
    expect(serverConfig({ bind: '0.0.0.0', port: 6379, announce: { host: 'h', port: 1 }, dir: '/d', replicaOf: null, aof: 'off' })).not.toMatch(/replicaof/);
    // --redis-aof: Redis's default (no AOF), or the append-only file with the fsync policy asked for.
    expect(replica).toMatch(/^appendonly no$/m);
    const always = serverConfig({ bind: 'b', port: 1, announce: { host: 'h', port: 1 }, dir: '/d', replicaOf: null, aof: 'always' });
    expect(always).toMatch(/^appendonly yes$/m);
    expect(always).toMatch(/^appendfsync always$/m);
    expect(() => redisSentinelDbFactory({ nodeCount: 3, bugs: [], settings: { redisAof: 'sometimes' } })).toThrow(/--redis-aof: expected one of off, everysec, always, got "sometimes"/);
    expect(redisSentinelDbFactory({ nodeCount: 3, bugs: [], settings: { redisAof: 'everysec' } }).description).toMatch(/appendfsync everysec/);
    const sentinel = sentinelConfig({ bind: '0.0.0.0', port: 26379, announce: { host: '10.0.0.12', port: 26379 }, dir: '/data', primary: { host: '10.0.0.11', port: 6379 }, quorum: quorumOf(3), timings: DEFAULT_TIMINGS });
    expect(sentinel).toMatch(/^sentinel monitor splitbrain 10\.0\.0\.11 6379 2$/m);
    expect(sentinel).toMatch(new RegExp(`^sentinel down-after-milliseconds splitbrain ${DEFAULT_TIMINGS.downAfterMs}$`, 'm'));
    expect([quorumOf(1), quorumOf(3), quorumOf(4), quorumOf(5)]).toEqual([1, 2, 3, 3]);
    expect(() => sentinelConfig({ bind: 'b', port: 1, announce: { host: 'h', port: 1 }, dir: 'd', primary: { host: 'h', port: 2 }, quorum: 2, timings: { downAfterMs: 0, failoverTimeoutMs: 1 } })).toThrow(/downAfterMs/);
  });
});

describe('INFO replication', () => {
  it('reads a primary, a synced replica and one still syncing', () => {
    expect(roleFromInfo('# Replication\r\nrole:master\r\nconnected_slaves:2\r\nmaster_repl_offset:431\r\n')).toEqual({ role: 'primary', primary: null, linkUp: false, offset: 431 });
    const synced = roleFromInfo('role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6380\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nmaster_repl_offset:9\r\n');
    expect(synced).toEqual({ role: 'replica', primary: { host: '127.0.0.1', port: 6380 }, linkUp: true, offset: 9 });
    expect(roleFromInfo('role:slave\r\nmaster_host:h\r\nmaster_port:1\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\n')?.linkUp).toBe(false);
    expect(roleFromInfo('no role here')).toBeNull();
  });
});

describe('what a redis-sentinel run refuses', () => {
  it('accepts a docker partition run of the set workload, and kill and pause locally', () => {
    expect(refusal(DB, RUN)).toBeNull();
    expect(refusal(DB, { ...RUN, cluster: 'local', faults: ['kill', 'pause'] })).toBeNull();
  });

  it('names the option of every run it cannot make', () => {
    expect(refusal(DB, { ...RUN, workload: 'register' })).toMatch(/^--workload: --db redis-sentinel has no client for register/);
    expect(refusal(DB, { ...RUN, faults: ['clock'] })).toMatch(/^--nemesis: clock cannot be applied/);
    expect(refusal(DB, { ...RUN, cluster: 'local' })).toContain(LOCAL_PARTITION_NOTE);
    expect(refusal(DB, { ...RUN, partitionClients: true })).toMatch(/^--partition-clients: /);
    expect(() => redisSentinelDbFactory({ nodeCount: 2, bugs: [], settings: {} })).toThrow(/^--nodes: .*at least 3/);
  });

  it('names the missing program and its Debian package in one line', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'splitbrain-nopath-'));
    try {
      expect(missingBinaries(empty)).toBe('--db redis-sentinel: redis-server and redis-sentinel not found on PATH; install them with `apt-get install redis-server redis-sentinel` (or run scripts/redis-setup.sh)');
      fs.symlinkSync('/bin/true', path.join(empty, 'redis-server'));
      expect(missingBinaries(empty)).toMatch(/: redis-sentinel not found on PATH; install it with `apt-get install redis-sentinel`/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the node supervisor shell', () => {
  it('runs both programs and passes a graceful stop to both', () => {
    const script = supervisorScript('/usr/bin/redis-server', '/usr/bin/redis-sentinel');
    expect(script).toMatch(/^\/usr\/bin\/redis-server redis\.conf & s=\$!$/m);
    expect(script).toMatch(/^\/usr\/bin\/redis-sentinel sentinel\.conf & t=\$!$/m);
    expect(script).toMatch(/trap 'kill -TERM \$s \$t/);
  });
});
