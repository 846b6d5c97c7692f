// scripts/demo-viewservice.ts — a narrated run of the view service on loopback: npx tsx scripts/demo-viewservice.ts
//
// Starts the view server and three replica processes, writes and reads through the client,
// SIGKILLs the primary in the middle of a stream of writes, shows the backup taking over and
// the idle server becoming the new backup, and checks that every acknowledged write survived.
import { KvClient } from '../rsm/client/client.ts';
import { ProcCluster, getJson, killAllProcs, missingWrites, writeStreamAndKill } from '../test/support/cluster-procs.ts';

interface ViewStatus {
  view: number;
  primary: string | null;
  backup: string | null;
  backupReady?: boolean;
}

const t0 = Date.now();
function say(line: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(4)}s] ${line}\n`);
}

async function waitForView(c: ProcCluster, pred: (v: ViewStatus) => boolean, timeoutMs: number): Promise<ViewStatus> {
  const url = `${c.procs.get('vs')!.httpUrl}/status`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = (await getJson(url)) as unknown as ViewStatus;
    if (pred(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('view did not settle in time');
}

const showView = (v: ViewStatus): string => `view ${v.view}: primary=${v.primary} backup=${v.backup}`;

async function main(): Promise<number> {
  say('starting the view server vs and replicas n1 n2 n3 (real processes, 127.0.0.1)');
  const cluster = await ProcCluster.start({ protocol: 'viewservice', replicas: ['n1', 'n2', 'n3'] });
  try {
    say(`n1 runs: tsx rsm/node/main.ts ${cluster.argsFor('n1').join(' ')}`);
    const v1 = await waitForView(cluster, (v) => v.primary !== null && v.backup !== null && v.backupReady === true, 10_000);
    const idle = ['n1', 'n2', 'n3'].find((n) => n !== v1.primary && n !== v1.backup)!;
    say(`${showView(v1)} idle=${idle} (backup has the primary's state)`);

    const client = new KvClient({ endpoints: cluster.endpoints(), preferred: idle, mode: 'follow-redirect' });
    const w = await client.write('greeting', 'hello');
    say(`write greeting=hello sent to ${idle} → redirected → ${w.type} from ${w.node}`);
    const r = await client.read('greeting');
    say(`read greeting → ${r.type} ${JSON.stringify(r.type === 'ok' ? r.value : r.error)} from ${r.node}`);
    client.close();

    say(`5 clients write distinct keys; SIGKILL the primary ${v1.primary} after 0.6 s; keep writing 2.5 s`);
    const { acked, ackedAfterKill } = await writeStreamAndKill(cluster, v1.primary!, 'follow-redirect', 5, 600, 2500);
    say(`${acked.size} writes acknowledged (${ackedAfterKill} of them after the kill)`);
    const v2 = await waitForView(cluster, (v) => v.primary === v1.backup && v.backup === idle && v.backupReady === true, 10_000);
    say(`${showView(v2)} — the backup became primary, the idle server the new backup`);

    const survivors = Object.fromEntries(Object.entries(cluster.endpoints()).filter(([id]) => id !== v1.primary));
    const missing = await missingWrites(survivors, acked, 'follow-redirect');
    say(`read back all ${acked.size} acknowledged writes: ${missing.length} missing`);

    await cluster.startNode(v1.primary!);
    say(`restarted ${v1.primary} from its data directory; it pings the view server as a fresh server`);
    const v3 = await waitForView(cluster, (v) => v.view >= v2.view, 5000);
    say(`${showView(v3)} (${v1.primary} waits idle until a server fails)`);
    say(missing.length === 0 ? 'OK: no acknowledged write was lost' : `LOST: ${missing.slice(0, 5).join(' ')}`);
    return missing.length === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
    await killAllProcs();
    say('all processes stopped, data directories removed');
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  void killAllProcs().then(() => process.exit(2));
});
