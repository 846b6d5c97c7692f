// cluster/testdata/stuck-cleanup.ts — a process whose one cleanup never finishes: its async part
// hangs, its sync part writes argv[2]. test/cluster-cleanup.test.ts signals it twice.
import * as fs from 'node:fs';
import { registerCleanup } from '../cleanup.ts';

const marker = process.argv[2];
registerCleanup({ name: 'stuck', run: () => new Promise<void>(() => undefined), sync: () => fs.writeFileSync(marker, 'sync ran\n') });
setInterval(() => undefined, 1000);
process.stdout.write('ready\n');
