// nemesis/membership-http.ts — asks a raft group's leader to add or remove a server (POST /admin/membership).
import type { Cluster, MemberChange } from '../cluster/types.ts';

/**
 * MEMBERSHIP_DEADLINE_MS: how long one change may take, leader changes and catch-up included.
 * A hang guard, not a speed target: on a loaded 2-core machine (load 12-15) one change took
 * up to 13 s, most of it elections churned by the removed server (see README, Limits).
 */
const MEMBERSHIP_DEADLINE_MS = 30_000;
const RETRY_MS = 200;

/**
 * changeMembershipOverHttp finds the leader and asks it for the change, retrying while it is
 * refused (another change in progress, no leader, the leader not yet committed in its term)
 * or its outcome is unknown. Retrying is safe: a leader answers a change already in force as
 * done. Throws with the last answer when the deadline passes, so the op is recorded as failed.
 */
export async function changeMembershipOverHttp(
  cluster: Cluster, change: MemberChange, requirePrimary: () => Promise<string>, sleepMs: (ms: number) => Promise<unknown>,
): Promise<{ voters: string[] }> {
  const deadline = Date.now() + MEMBERSHIP_DEADLINE_MS;
  let last = 'no leader answered';
  while (Date.now() < deadline) {
    try {
      const leader = await requirePrimary();
      const res = await fetch(`${cluster.clientEndpoint(leader).httpUrl}/admin/membership`, {
        method: 'POST', body: JSON.stringify(change), signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { outcome?: string; error?: string; result?: { value?: unknown } };
      if (body.outcome === 'ok' && Array.isArray(body.result?.value)) return { voters: body.result.value as string[] };
      last = `${leader}: ${body.outcome ?? res.status} ${body.error ?? ''}`.trim();
    } catch (err) {
      last = (err as Error).message;
    }
    await sleepMs(RETRY_MS);
  }
  throw new Error(`membership ${change.op} ${change.node}: not done within ${MEMBERSHIP_DEADLINE_MS} ms (last answer: ${last})`);
}
