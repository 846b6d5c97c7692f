// reports/browser.ts — launch Debian's chromium through playwright-core (browser tests and the report bench).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** CHROMIUM_PATH: where Debian's chromium package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** CHROMIUM_ARGS: headless, no sandbox (containers), and nothing that talks to the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** chromiumAvailable: whether the browser is installed. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Chromium: a browser context with a fresh profile; close() removes the profile too. */
export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** launchChromium starts chromium with a fresh --user-data-dir (playwright passes it for a persistent context). */
export async function launchChromium(viewport = { width: 1300, height: 900 }): Promise<Chromium> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], viewport,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
