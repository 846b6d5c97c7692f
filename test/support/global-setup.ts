// test/support/global-setup.ts — vitest's globalSetup: work done once per test run, before any worker starts.
import { rsmNodeBundle } from '../../db/rsm-bundle.ts';

/** setup builds the rsm node bundle (if its sources changed) so parallel workers find it ready instead of each building it. */
export function setup(): void {
  rsmNodeBundle();
}
