// The watcher's leader-election settings, from the environment (errors name the variable).
// Defaults are client-go's: lease 15 s, renew deadline 10 s, retry period 2 s.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { LeaderElectionConfig } from '../k8s/leader-election.ts';

const seconds = z.coerce.number().positive('must be a positive number of seconds');
const bool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name').max(253);

const EnvSchema = z.object({
  OPSFLOW_LEADER_ELECTION: bool.default(true),
  OPSFLOW_LEASE_DURATION_SECONDS: seconds.default(15),
  OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS: seconds.default(10),
  OPSFLOW_LEASE_RETRY_PERIOD_SECONDS: seconds.default(2),
  OPSFLOW_LEASE_NAME: name.optional(),
  OPSFLOW_LEASE_NAMESPACE: name.optional(),
  OPSFLOW_WATCH_NAMESPACE: z.string().optional(),
  POD_NAMESPACE: z.string().optional(),
  POD_NAME: z.string().optional(),
  OPSFLOW_LEADER_IDENTITY: z.string().min(1).optional(),
}).superRefine((e, ctx) => {
  // client-go's invariants: a leader gives up (renew deadline) before anyone may take over (duration),
  // and retries several times within the deadline.
  if (e.OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS >= e.OPSFLOW_LEASE_DURATION_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS'], message: 'must be less than OPSFLOW_LEASE_DURATION_SECONDS' });
  }
  if (e.OPSFLOW_LEASE_RETRY_PERIOD_SECONDS >= e.OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['OPSFLOW_LEASE_RETRY_PERIOD_SECONDS'], message: 'must be less than OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS' });
  }
});

function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Lease lives in the watcher's own namespace (POD_NAMESPACE, or the ServiceAccount's); a
 * watcher limited to one namespace (OPSFLOW_WATCH_NAMESPACE) elects in that one, with its own
 * Lease name, so watchers of different namespaces never contend. undefined: election disabled.
 */
export function leaderElectionConfig(env: NodeJS.ProcessEnv = process.env, saNamespace = serviceAccountNamespace): LeaderElectionConfig | undefined {
  const r = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!r.success) {
    throw new Error(`invalid configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = r.data;
  if (!e.OPSFLOW_LEADER_ELECTION) return undefined;
  const watch = e.OPSFLOW_WATCH_NAMESPACE;
  return {
    namespace: e.OPSFLOW_LEASE_NAMESPACE ?? e.POD_NAMESPACE ?? saNamespace() ?? watch ?? 'default',
    name: e.OPSFLOW_LEASE_NAME ?? (watch ? `opsflow-watcher-${watch}`.slice(0, 253) : 'opsflow-watcher'),
    // Unique per process even when two share a Pod name (a restarted container): name_random.
    identity: e.OPSFLOW_LEADER_IDENTITY ?? `${e.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationMs: e.OPSFLOW_LEASE_DURATION_SECONDS * 1000,
    renewDeadlineMs: e.OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS * 1000,
    retryPeriodMs: e.OPSFLOW_LEASE_RETRY_PERIOD_SECONDS * 1000,
  };
}

const IntervalSchema = z.object({
  OPSFLOW_RUN_CHECK_SECONDS: seconds.default(10),
  OPSFLOW_PAUSE_CHECK_SECONDS: seconds.default(10),
});

/** How often the watcher checks open runs, and the provisioner the run behind a pause. */
export function watcherIntervals(env: NodeJS.ProcessEnv = process.env): { runCheckMs: number; pauseCheckMs: number } {
  const r = IntervalSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!r.success) throw new Error(`invalid configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { runCheckMs: r.data.OPSFLOW_RUN_CHECK_SECONDS * 1000, pauseCheckMs: r.data.OPSFLOW_PAUSE_CHECK_SECONDS * 1000 };
}
