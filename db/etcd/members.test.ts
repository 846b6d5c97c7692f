// db/etcd/members.test.ts — the member command line: the whole initial cluster, and pre-vote as --etcd-pre-vote says.
import { describe, expect, it } from 'vitest';
import { etcdDbFactory } from './index.ts';
import { etcdArgs, type Member } from './members.ts';

const members: Member[] = ['n1', 'n2', 'n3'].map((name, i) => ({ name, clientUrl: `http://127.0.0.1:${2379 + i}`, peerUrl: `http://127.0.0.1:${2380 + i}` }));

describe('etcdArgs', () => {
  it('names every initial member and runs pre-vote unless told not to', () => {
    const args = etcdArgs(members[1], members, '/data/n2/etcd', 'splitbrain-7');
    expect(args.slice(args.indexOf('--initial-cluster'), args.indexOf('--initial-cluster') + 2)).toEqual(['--initial-cluster', 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:2381,n3=http://127.0.0.1:2382']);
    expect(args).toContain('--pre-vote');
    expect(etcdArgs(members[1], members, '/data/n2/etcd', 'splitbrain-7', false)).not.toContain('--pre-vote');
  });

  it('--etcd-pre-vote reaches the launch, and a bad value is refused', () => {
    const site = { kind: 'ssh', node: 'n1', dataDir: '/d', advertise: (p: string) => `10.0.0.1:${p}`, dial: (n: string, p: string) => `${n}:${p}`, listen: (p: string) => `0.0.0.0:${p}` };
    const launch = (etcdPreVote: string) => etcdDbFactory({ nodeCount: 3, bugs: [], settings: { etcdPreVote } }).launch!(site as never) as { args: string[] };
    expect(launch('on').args).toContain('--pre-vote');
    expect(launch('off').args).not.toContain('--pre-vote');
    expect(etcdDbFactory({ nodeCount: 3, bugs: [], settings: { etcdPreVote: 'off' } }).description).toMatch(/without pre-vote/);
    expect(() => etcdDbFactory({ nodeCount: 3, bugs: [], settings: { etcdPreVote: 'maybe' } })).toThrow(/--etcd-pre-vote: expected on or off, got maybe/);
  });
});
