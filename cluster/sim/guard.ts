// cluster/sim/guard.ts — the runtime determinism guard: simulated code may not reach for real time, randomness, timers, sockets or files.
//
// test/layering.test.ts bans these by source text; this catches what the text cannot (a
// helper module, a dependency, an indirect call). While installed, every trap passes through
// to the real function unless simulated code is running (inside guarded()), where it records
// a violation and throws.
import fs from 'node:fs';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

/** DeterminismViolation: simulated code called something outside the simulated world. */
export class DeterminismViolation extends Error {}

type Restore = () => void;

let depth = 0;
let installs = 0;
let restores: Restore[] = [];
const violations: string[] = [];

function trip(what: string): never {
  const message = `determinism guard: simulated code called ${what}; the simulator gives time, randomness and I/O through the core's config`;
  violations.push(message);
  throw new DeterminismViolation(message);
}

/** patch replaces obj[key] with a wrapper that trips inside simulated code. */
function patch(obj: object, key: string, what: string): void {
  const target = obj as Record<string, unknown>;
  const original = target[key];
  if (typeof original !== 'function') return;
  const fn = original as (...args: unknown[]) => unknown;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (depth > 0) trip(what);
    return fn.apply(this, args);
  };
  target[key] = wrapper;
  restores.push(() => {
    target[key] = original;
  });
}

const FS_FUNCTIONS = ['open', 'openSync', 'readFile', 'readFileSync', 'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync',
  'createReadStream', 'createWriteStream', 'readdir', 'readdirSync', 'mkdir', 'mkdirSync', 'stat', 'statSync', 'existsSync', 'unlink', 'unlinkSync'];
const FS_PROMISE_FUNCTIONS = ['open', 'readFile', 'writeFile', 'appendFile', 'readdir', 'mkdir', 'stat', 'unlink'];

/** installGuard sets the traps (nested installs are counted); call the returned function to remove them. */
export function installGuard(): () => void {
  installs += 1;
  if (installs === 1) {
    const g = globalThis as unknown as Record<string, unknown>;
    patch(Date, 'now', 'Date.now');
    patch(Math, 'random', 'Math.random');
    patch(performance, 'now', 'performance.now');
    for (const timer of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']) patch(g, timer, timer);
    const RealDate = Date;
    g.Date = new Proxy(RealDate, {
      construct(target, args: unknown[], newTarget: (...a: unknown[]) => unknown) {
        if (depth > 0 && args.length === 0) trip('new Date()');
        return Reflect.construct(target, args, newTarget) as object;
      },
      apply(target, thisArg, args: unknown[]) {
        if (depth > 0) trip('Date()');
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
    restores.push(() => {
      g.Date = RealDate;
    });
    patch(net.Socket.prototype, 'connect', 'a socket (net.Socket.connect)');
    patch(net.Server.prototype, 'listen', 'a socket (net.Server.listen)');
    patch(net, 'connect', 'a socket (net.connect)');
    patch(net, 'createConnection', 'a socket (net.createConnection)');
    for (const name of FS_FUNCTIONS) patch(fs, name, `a file (fs.${name})`);
    for (const name of FS_PROMISE_FUNCTIONS) patch(fs.promises, name, `a file (fs.promises.${name})`);
    // ESM named imports of builtins are copies; this points them at the traps too.
    syncBuiltinESMExports();
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    installs -= 1;
    if (installs > 0) return;
    for (const restore of restores.reverse()) restore();
    restores = [];
    syncBuiltinESMExports();
  };
}

/** guarded runs simulated code (a core's tick, step, request, construction) under the traps. */
export function guarded<T>(fn: () => T): T {
  depth += 1;
  try {
    return fn();
  } finally {
    depth -= 1;
  }
}

/** takeViolations returns and forgets the violations recorded so far (a core may have caught the throw). */
export function takeViolations(): string[] {
  return violations.splice(0, violations.length);
}
