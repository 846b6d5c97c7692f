// cluster/lazyfs.test.ts — the lazyfs FUSE filesystem (native/lazyfs), mounted for real: what a crash keeps and drops.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DurableLog } from '../rsm/runtime/durable-log.ts';
import { ensureLazyFsBinary, isMounted, LazyFsMount, lazyFsMounts } from './lazyfs.ts';

let root: string;
let fsm: LazyFsMount;
let n = 0;

async function fsyncPath(p: string): Promise<void> {
  const h = await fs.promises.open(p, 'r');
  await h.sync();
  await h.close();
}

async function writeFile(p: string, data: string, opts: { sync: boolean }): Promise<void> {
  const h = await fs.promises.open(p, 'w');
  await h.writeFile(data);
  if (opts.sync) await h.sync();
  await h.close();
}

function read(p: string): string | null {
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
}

beforeAll(() => {
  ensureLazyFsBinary();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lazyfs-test-'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('lazyfs', () => {
  let dir: string;
  beforeAll(async () => {
    fsm = await LazyFsMount.mount(path.join(root, 'backing'), path.join(root, 'mnt'));
  });
  afterAll(async () => {
    await fsm.unmount();
  });
  afterEach(() => {
    n += 1;
  });
  // Each test works in its own durable directory, so earlier tests' leftovers do not interfere.
  async function freshDir(): Promise<string> {
    dir = path.join(fsm.mountPoint, `t${n}`);
    fs.mkdirSync(dir);
    await fsyncPath(fsm.mountPoint);
    return dir;
  }

  it('a write without fsync is gone after a crash; the durable name stays, empty', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'f'), 'durable name', { sync: true });
    await fsyncPath(d);
    fs.appendFileSync(path.join(d, 'f'), ' + lost tail');
    expect(read(path.join(d, 'f'))).toBe('durable name + lost tail');
    const stats = await fsm.crash();
    expect(stats.last_crash_undone).toBe(1);
    expect(read(path.join(d, 'f'))).toBe('durable name');
  });

  it('a write followed by fsync (or fdatasync) survives a crash', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'f'), 'kept', { sync: true });
    await fsyncPath(d);
    const h = await fs.promises.open(path.join(d, 'f'), 'a');
    await h.write('+also kept');
    await h.datasync();
    await h.close();
    await fsm.crash();
    expect(read(path.join(d, 'f'))).toBe('kept+also kept');
  });

  it('a torn crash keeps half of the newest unsynced write, or the bytes asked for', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'f'), 'base|', { sync: true });
    await fsyncPath(d);
    fs.appendFileSync(path.join(d, 'f'), 'AAAA');
    fs.appendFileSync(path.join(d, 'f'), 'BBBBBBBB');
    const stats = await fsm.crash({ torn: true });
    expect(stats.last_crash_torn_bytes).toBe(4);
    // Everything unsynced is dropped, then the first half of the newest write lands where it was.
    expect(fs.readFileSync(path.join(d, 'f'))).toEqual(Buffer.concat([Buffer.from('base|'), Buffer.alloc(4), Buffer.from('BBBB')]));
    fs.truncateSync(path.join(d, 'f'), 5);
    await fsyncPath(path.join(d, 'f'));
    fs.appendFileSync(path.join(d, 'f'), '0123456789');
    await fsm.crash({ torn: 3 });
    expect(read(path.join(d, 'f'))).toBe('base|012');
  });

  it('a new file whose directory was not fsynced vanishes, even when the file itself was', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'new'), 'data', { sync: true });
    await fsm.crash();
    expect(fs.readdirSync(d)).toEqual([]);
    await writeFile(path.join(d, 'new'), 'data', { sync: true });
    await fsyncPath(d);
    await fsm.crash();
    expect(read(path.join(d, 'new'))).toBe('data');
  });

  it('rename over a file is undone without a directory fsync and kept with one (the atomic-replace idiom)', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'x'), 'old', { sync: true });
    await fsyncPath(d);
    await writeFile(path.join(d, 'x.tmp'), 'new', { sync: true });
    fs.renameSync(path.join(d, 'x.tmp'), path.join(d, 'x'));
    expect(read(path.join(d, 'x'))).toBe('new');
    await fsm.crash();
    expect(fs.readdirSync(d)).toEqual(['x']);
    expect(read(path.join(d, 'x'))).toBe('old');
    await writeFile(path.join(d, 'x.tmp'), 'new', { sync: true });
    fs.renameSync(path.join(d, 'x.tmp'), path.join(d, 'x'));
    await fsyncPath(d);
    await fsm.crash();
    expect(fs.readdirSync(d)).toEqual(['x']);
    expect(read(path.join(d, 'x'))).toBe('new');
  });

  it('a rename into another directory is kept once the new name\'s directory is fsynced (Redis moves its AOF rewrite in so)', async () => {
    const d = await freshDir();
    fs.mkdirSync(path.join(d, 'sub'));
    await writeFile(path.join(d, 'base.tmp'), 'rewritten', { sync: true });
    await fsyncPath(d);
    // Without any directory fsync the move is taken back: the file is at its old name again.
    fs.renameSync(path.join(d, 'base.tmp'), path.join(d, 'sub', 'base'));
    await fsm.crash();
    expect(fs.readdirSync(path.join(d, 'sub'))).toEqual([]);
    expect(read(path.join(d, 'base.tmp'))).toBe('rewritten');
    // An fsync of the new name's directory alone makes it durable.
    fs.renameSync(path.join(d, 'base.tmp'), path.join(d, 'sub', 'base'));
    await fsyncPath(path.join(d, 'sub'));
    await fsm.crash();
    expect(fs.readdirSync(path.join(d, 'sub'))).toEqual(['base']);
    expect(fs.readdirSync(d).filter((n) => n !== 'sub')).toEqual([]);
    expect(read(path.join(d, 'sub', 'base'))).toBe('rewritten');
  });

  it('a file renamed twice, the second time into a synced directory, stays where the durable rename put it', async () => {
    const d = await freshDir();
    fs.mkdirSync(path.join(d, 'sub'));
    await fsyncPath(d);
    await writeFile(path.join(d, 'a'), 'x', { sync: true });
    fs.renameSync(path.join(d, 'a'), path.join(d, 'b'));
    fs.renameSync(path.join(d, 'b'), path.join(d, 'sub', 'c'));
    await fsyncPath(path.join(d, 'sub'));
    const before = (await fsm.stats()).undo_failures;
    expect((await fsm.crash()).undo_failures).toBe(before);
    expect(read(path.join(d, 'sub', 'c'))).toBe('x');
  });

  it('unlink, rmdir and truncate are taken back by a crash', async () => {
    const d = await freshDir();
    fs.mkdirSync(path.join(d, 'sub'));
    await writeFile(path.join(d, 'f'), '0123456789', { sync: true });
    await fsyncPath(d);
    fs.unlinkSync(path.join(d, 'f'));
    fs.rmdirSync(path.join(d, 'sub'));
    expect(fs.readdirSync(d)).toEqual([]);
    await fsm.crash();
    expect(fs.readdirSync(d).sort()).toEqual(['f', 'sub']);
    fs.truncateSync(path.join(d, 'f'), 2);
    expect(read(path.join(d, 'f'))).toBe('01');
    await fsm.crash();
    expect(read(path.join(d, 'f'))).toBe('0123456789');
  });

  it('the control file and the stash are hidden; sync makes everything durable', async () => {
    const d = await freshDir();
    expect(fs.readdirSync(fsm.mountPoint).filter((f) => f.startsWith('.lazyfs'))).toEqual([]);
    fs.writeFileSync(path.join(d, 'f'), 'unsynced');
    expect((await fsm.stats()).unsynced_bytes).toBe(8);
    await fsm.sync();
    expect((await fsm.stats()).entries).toBe(0);
    await fsm.crash();
    expect(read(path.join(d, 'f'))).toBe('unsynced');
  });

  it('the rsm durable log loses its unsynced records (fsync never) and keeps synced ones (fsync always)', async () => {
    const d = await freshDir();
    const quiet = (): void => {};
    const always = await DurableLog.open(path.join(d, 'always.bin'), { fsync: 'always', log: quiet });
    const never = await DurableLog.open(path.join(d, 'never.bin'), { fsync: 'never', log: quiet });
    await fsyncPath(d); // the never-log's name, so only its records are at stake
    await always.log.append([{ i: 1 }, { i: 2 }]);
    await never.log.append([{ i: 1 }, { i: 2 }]);
    await always.log.close();
    await never.log.close();
    await fsm.crash();
    for (const [name, expected] of [['always.bin', [{ i: 1 }, { i: 2 }]], ['never.bin', []]] as const) {
      const reopened = await DurableLog.open(path.join(d, name), { log: quiet });
      expect(reopened.records).toEqual(expected);
      await reopened.log.close();
    }
  });

  it('a torn record in the durable log is detected and cut at open (never replayed)', async () => {
    const d = await freshDir();
    const lines: string[] = [];
    const first = await DurableLog.open(path.join(d, 'log.bin'), { fsync: 'always', log: (l) => lines.push(l) });
    await first.log.append([{ i: 1 }]);
    await first.log.close();
    const h = await fs.promises.open(path.join(d, 'log.bin'), 'a');
    await h.write(Buffer.concat([Buffer.from([0, 0, 0, 40, 1, 2, 3, 4]), Buffer.alloc(40, 65)]));
    await h.close();
    await fsm.crash({ torn: true });
    const reopened = await DurableLog.open(path.join(d, 'log.bin'), { log: (l) => lines.push(l) });
    expect(reopened.records).toEqual([{ i: 1 }]);
    expect(lines.join('\n')).toMatch(/truncated 24 bytes .*torn payload/);
    await reopened.log.close();
  });
});

describe('lazyfs mounts never outlive their owner', () => {
  it('unmount leaves no mount, no stash, and the data in the backing directory', async () => {
    const m = await LazyFsMount.mount(path.join(root, 'b2'), path.join(root, 'm2'));
    fs.writeFileSync(path.join(root, 'm2', 'f'), 'kept at unmount');
    await m.unmount();
    expect(isMounted(path.join(root, 'm2'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'b2'))).toEqual(['f']);
    expect(read(path.join(root, 'b2', 'f'))).toBe('kept at unmount');
  });

  it('kill -9 of the process that mounted it unmounts it (the filesystem dies with its parent)', async () => {
    const mnt = path.join(root, 'm3');
    const script = `import { LazyFsMount } from ${JSON.stringify(path.resolve('cluster/lazyfs.ts'))};
      await LazyFsMount.mount(${JSON.stringify(path.join(root, 'b3'))}, ${JSON.stringify(mnt)});
      process.stdout.write('mounted\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('mounted')) resolve(); });
      child.once('exit', (code) => reject(new Error(`mounting child exited ${code}`)));
    });
    expect(isMounted(mnt)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (isMounted(mnt) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isMounted(mnt)).toBe(false);
    expect(lazyFsMounts().filter((p) => p.startsWith(root))).toEqual([]);
  });
});
