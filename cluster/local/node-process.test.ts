// cluster/local/node-process.test.ts — a stopped or killed node leaves no process behind, not even
// one whose root exited first (a shell that forwards SIGTERM and returns before its children do).
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeProcess } from './node-process.ts';
import { descendants, isGone } from './process-tree.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-process-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** orphaningNode: a root shell that exits at once on SIGTERM while its child ignores SIGTERM. */
function orphaningNode(id: string): NodeProcess {
  const logPath = path.join(dir, `${id}.log`);
  return new NodeProcess({
    id,
    command: 'sh',
    // The child ignores TERM (like a server still saving its data); the root's trap exits without waiting.
    args: ['-c', `trap 'exit 0' TERM; (trap '' TERM; echo child $$; exec sleep 300) & echo up; wait`],
    env: {},
    cwd: dir,
    logPath,
    ready: async (offset) => fs.readFileSync(logPath, 'utf8').slice(offset).includes('up'),
  });
}

async function childrenOf(node: NodeProcess): Promise<number[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const kids = descendants(node.pid!);
    if (kids.length > 0 || Date.now() > deadline) return kids;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NodeProcess', () => {
  it('stop: a child that outlives its root past the grace is killed before stop returns', async () => {
    const node = orphaningNode('stop');
    await node.start(5000);
    const kids = await childrenOf(node);
    expect(kids.length).toBeGreaterThan(0);
    await node.stop(300);
    expect(node.state).toBe('stopped');
    for (const pid of kids) expect(isGone(pid), `pid ${pid}`).toBe(true);
  });

  it('kill: the whole tree is dead when kill returns', async () => {
    const node = orphaningNode('kill');
    await node.start(5000);
    const kids = await childrenOf(node);
    await node.kill();
    for (const pid of [...kids]) expect(isGone(pid), `pid ${pid}`).toBe(true);
  });
});
