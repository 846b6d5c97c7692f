// test/scenarios/scenarios.test.ts — runs every scenario script here; REWRITE=1 regenerates their expected outputs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { checkScenarioFile, type Handler } from '../support/datadriven.ts';
import { RAFT_HANDLERS, RaftScenario } from '../support/raft-scenario.ts';
import { VIEWSERVICE_HANDLERS, ViewServiceScenario } from '../support/viewservice-scenario.ts';

const DIR = import.meta.dirname;

/** SUITES: which environment runs a script, by its file name's prefix. */
const SUITES: Array<{ prefix: string; run: (path: string) => void }> = [
  { prefix: 'raft-', run: (path) => checkScenarioFile(path, () => new RaftScenario(), RAFT_HANDLERS) },
  { prefix: 'viewservice-', run: (path) => checkScenarioFile(path, () => new ViewServiceScenario(), VIEWSERVICE_HANDLERS as Record<string, Handler<ViewServiceScenario>>) },
];

describe('scenario scripts', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();
  it('covers raft elections, raft log repair and the view service partition', () => {
    for (const name of ['raft-elections.txt', 'raft-log-repair.txt', 'viewservice-partition.txt']) {
      if (!files.includes(name)) throw new Error(`missing scenario ${join(DIR, name)}`);
    }
  });
  for (const file of files) {
    it(file, () => {
      const suite = SUITES.find((s) => file.startsWith(s.prefix));
      if (suite === undefined) throw new Error(`${file}: no suite for this name; prefixes are ${SUITES.map((s) => s.prefix).join(', ')}`);
      suite.run(join(DIR, file));
    });
  }
});
