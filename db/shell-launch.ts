// A node whose program needs a few shell steps (initdb before postgres; two daemons under one
// supervisor) is launched as one `/bin/sh -c` line. The image then needs a shell: SHELL_PACKAGE.
import type { NodeLaunch } from '../cluster/types.ts';

/** SHELL_PACKAGE: the Debian package that provides /bin/sh in a DB's image. */
export const SHELL_PACKAGE = 'dash';

/** shellQuote makes one sh word. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** shellLaunch: run `script` with /bin/sh; `rest` adds env, cwd or the user to run as. */
export function shellLaunch(script: string, rest: Omit<NodeLaunch, 'command' | 'args'> = {}): NodeLaunch {
  return { command: '/bin/sh', args: ['-c', script], ...rest };
}
