// reports/confine.ts — real paths, so a symlink inside the store cannot lead a read or write out of it.
import { existsSync, lstatSync } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/** isInside: whether `target` is `root` or below it (both absolute, already resolved). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * realPathOf resolves every symlink in the parts of `target` that exist, dangling links
 * included (followed by hand to where they point), and keeps the parts that do not exist yet
 * (a report.html about to be written) as they are. A file about to be created inside a
 * symlinked directory, or through a dangling link, thus shows where it would really land.
 */
export async function realPathOf(target: string): Promise<string> {
  let current = path.resolve(target);
  for (let hop = 0; hop < LINK_HOPS_MAX; hop++) {
    let existing = current;
    const rest: string[] = [];
    while (!existsSync(existing) && !isLink(existing)) {
      const parent = path.dirname(existing);
      if (parent === existing) break;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
    if (existsSync(existing)) return path.join(await realpath(existing), ...rest);
    current = path.join(path.resolve(path.dirname(existing), await readlink(existing)), ...rest);
  }
  throw new Error(`${target}: too many levels of symbolic links`);
}

// Linux gives up after 40 links (ELOOP); so does realPathOf.
const LINK_HOPS_MAX = 40;

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** isReallyInside: whether `target`, symlinks resolved (realPathOf), lies inside the real `rootReal`. */
export async function isReallyInside(rootReal: string, target: string): Promise<boolean> {
  return isInside(rootReal, await realPathOf(target));
}
