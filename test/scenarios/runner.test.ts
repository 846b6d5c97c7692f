// test/scenarios/runner.test.ts — the scenario runner fails, with a readable diff, when output differs; REWRITE=1 repairs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkScenarioFile, lineDiff, parseScenario, runScenario, type Handler } from '../support/datadriven.ts';
import { RAFT_HANDLERS, RaftScenario } from '../support/raft-scenario.ts';

const ECHO: Record<string, Handler<string[]>> = {
  echo: (_env, cmd) => cmd.words,
  remember: (env, cmd) => {
    env.push(...cmd.words);
    return [];
  },
  recall: (env) => env,
};

const dirs: string[] = [];
function scratch(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-scenario-'));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scenario runner', () => {
  it('passes when every block prints what it expects; empty output reads "ok"', () => {
    const script = '# a comment\necho a b\n----\na\nb\n\nremember x\n----\nok\n\nrecall\n----\nx\n';
    expect(runScenario(script, 'echo.txt', [], ECHO)).toEqual({ rewritten: script, mismatches: [] });
  });

  it('fails with file:line, the command and a line diff when the output differs', () => {
    const script = 'echo a b\n----\na\nc\n';
    const { mismatches, rewritten } = runScenario(script, 'echo.txt', [], ECHO);
    expect(mismatches).toEqual(['echo.txt:1: echo a b\n  a\n+ b\n- c']);
    expect(rewritten).toBe('echo a b\n----\na\nb\n');
  });

  it('a wrong expectation in a raft script fails checkScenarioFile with a readable diff', () => {
    const path = scratch('raft-wrong.txt', 'add-nodes 3\n----\nn1 became follower at term 0\nn2 became follower at term 0\nn3 became follower at term 0\n\ncampaign n1\n----\nn1 timed out after 19 ticks\nn1 became leader at term 1\n');
    const previous = process.env.REWRITE;
    delete process.env.REWRITE;
    try {
      expect(() => checkScenarioFile(path, () => new RaftScenario(), RAFT_HANDLERS)).toThrow(
        `1 block(s) differ (REWRITE=1 regenerates ${path}):\n\n${path}:7: campaign n1\n  n1 timed out after 19 ticks\n+ n1 became candidate at term 1\n- n1 became leader at term 1`,
      );
      // REWRITE=1 writes the actual output back; the script then passes.
      process.env.REWRITE = '1';
      checkScenarioFile(path, () => new RaftScenario(), RAFT_HANDLERS);
      delete process.env.REWRITE;
      expect(readFileSync(path, 'utf8')).toContain('n1 became candidate at term 1');
      expect(() => checkScenarioFile(path, () => new RaftScenario(), RAFT_HANDLERS)).not.toThrow();
    } finally {
      if (previous === undefined) delete process.env.REWRITE;
      else process.env.REWRITE = previous;
    }
  });

  it('rejects malformed scripts and unknown commands, naming file:line', () => {
    expect(() => parseScenario('echo a\necho b\n', 'bad.txt')).toThrow('bad.txt:2: expected "----" after the command "echo a"');
    expect(() => parseScenario('----\n', 'bad.txt')).toThrow('bad.txt:1: "----" without a command');
    expect(() => runScenario('\nfly away\n----\n', 'bad.txt', [], ECHO)).toThrow('bad.txt:2: unknown command "fly"; expected one of echo, remember, recall');
    expect(() => runScenario('campaign n9\n----\n', 'r.txt', new RaftScenario(), RAFT_HANDLERS)).toThrow('r.txt:1: no nodes yet');
  });

  it('lineDiff marks missing lines with - and unexpected ones with +', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe('  a\n+ x\n- b\n  c\n+ d');
  });
});
