// Switchover planning and rendering (pure): which member becomes primary, how a standby's conninfo
// is repointed, and how the primary as data (status.primary) shapes the rendered objects.
import assert from 'node:assert/strict';
import { PostgresSchema, type Postgres } from '../../src/api/databases.ts';
import { escapeLiteral } from '../../src/activities/postgres-switchover.ts';
import { parseConninfo, renderConninfo, repointConninfo } from '../../src/engines/postgres/conninfo.ts';
import { planPrimaryUpdate } from '../../src/engines/postgres/plan.ts';
import { primaryPodName, renderPostgres } from '../../src/engines/postgres/render.ts';
import { provisioningFor } from '../../src/engines/provisioning.ts';
import { nextDatabaseStatus } from '../../src/watcher/provisioner.ts';
import type { V1Service, V1StatefulSet } from '@kubernetes/client-node';

const pods = ['pg-0', 'pg-1', 'pg-2'];

function pgdb(status?: Postgres['status']): Postgres {
  return PostgresSchema.parse({
    apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg', namespace: 'demo', uid: 'u1' },
    spec: { version: '16.15', replicas: 3 }, ...(status ? { status } : {}),
  });
}

describe('Postgres switchover (pure)', () => {
  const cases: Array<{ name: string; primary: string; method?: 'Switchover' | 'Restart'; preferred?: string; want: unknown }> = [
    { name: 'default: the lowest-ordinal standby', primary: 'pg-0', want: { method: 'Switchover', target: 'pg-1' } },
    { name: 'after a switchover to pg-1: pg-0', primary: 'pg-1', want: { method: 'Switchover', target: 'pg-0' } },
    { name: 'the preferred standby', primary: 'pg-0', preferred: 'pg-2', want: { method: 'Switchover', target: 'pg-2' } },
    { name: 'preferring the primary keeps it (restart in place)', primary: 'pg-0', preferred: 'pg-0', want: { method: 'Restart', reason: 'spec.preferredPrimary is the primary pg-0: it stays primary' } },
    { name: 'Restart asked for', primary: 'pg-0', method: 'Restart', want: { method: 'Restart', reason: 'spec.primaryUpdateMethod is Restart' } },
    { name: 'an unknown member names the field', primary: 'pg-0', preferred: 'pg-7', want: { problem: 'spec.preferredPrimary: "pg-7" is not a member (members: pg-0, pg-1, pg-2)' } },
  ];
  for (const c of cases) it(`planPrimaryUpdate: ${c.name}`, () => assert.deepEqual(planPrimaryUpdate(pods, c.primary, c.method, c.preferred), c.want));
  it('planPrimaryUpdate: a single member restarts in place', () => {
    assert.deepEqual(planPrimaryUpdate(['pg-0'], 'pg-0'), { method: 'Restart', reason: 'no standby to switch over to' });
  });

  it('repoints a conninfo: only hostaddr changes; quoting round-trips', () => {
    const ci = "host='pg.demo.svc' hostaddr='127.1.0.5' port='5432' user='postgres' passfile='/run/x y/.pgpass' application_name='pg-2' connect_timeout='10'";
    const r = repointConninfo(ci, '127.1.1.7');
    assert.equal(r.changed, true);
    assert.deepEqual(Object.fromEntries(parseConninfo(r.conninfo)), { ...Object.fromEntries(parseConninfo(ci)), hostaddr: '127.1.1.7' });
    assert.deepEqual(repointConninfo(r.conninfo, '127.1.1.7'), { conninfo: r.conninfo, changed: false }, 'idempotent');
    assert.deepEqual(repointConninfo("host='pg.demo.svc' port=5432", '127.1.1.7').changed, false, 'no hostaddr: the Service name follows the role');
    const odd: Array<[string, string]> = [['passfile', "/a\\b'c"], ['user', 'u']];
    assert.deepEqual(parseConninfo(renderConninfo(odd)), odd);
    assert.throws(() => parseConninfo("host='unterminated"), /unterminated/);
  });

  it('escapes SQL literals for ALTER SYSTEM', () => {
    assert.equal(escapeLiteral("host='a'"), "'host=''a'''");
    assert.equal(escapeLiteral('a\\b'), "E'a\\\\b'");
  });

  it('the primary is data: status.primary, else ordinal 0; role labels and the primary Service follow it', () => {
    assert.equal(primaryPodName(pgdb()), 'pg-0');
    const moved = pgdb({ primary: 'pg-2' });
    assert.equal(primaryPodName(moved), 'pg-2');
    const p = provisioningFor('Postgres');
    assert.deepEqual(pods.map((x) => p.podRole(moved, x)), ['standby', 'standby', 'primary']);
    assert.deepEqual(pods.map((x) => p.podRole(pgdb(), x)), ['primary', 'standby', 'standby']);
    const objs = renderPostgres(moved, { apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresVersion', metadata: { name: '16.15' }, spec: { version: '16.15', db: { image: 'postgres:16.15' } } } as never, {}, {});
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata?.name === 'pg') as V1Service;
    assert.equal(svc.spec?.selector?.['opsflow.dev/role'], 'primary');
    assert.equal(svc.spec?.selector?.['statefulset.kubernetes.io/pod-name'], undefined);
    const sts = objs.find((o) => o.kind === 'StatefulSet') as V1StatefulSet;
    const env = sts.spec?.template.spec?.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'PRIMARY_HOST')?.value, 'pg.demo.svc', 'standbys follow the primary Service');
    assert.equal(env.find((e) => e.name === 'ROLE'), undefined, 'the role comes from the data directory');
  });

  it('the provisioner keeps status.primary (written by a switchover) on every status write', () => {
    const prev = { phase: 'Ready' as const, primary: 'pg-1', conditions: [] };
    assert.equal(nextDatabaseStatus(prev, 3, { ready: true }, '2026-01-01T00:00:00Z').primary, 'pg-1');
    assert.equal(nextDatabaseStatus(prev, 3, { paused: 'PostgresOpsRequest/x' }, '2026-01-01T00:00:00Z').primary, 'pg-1');
    assert.equal(nextDatabaseStatus(prev, 3, { versionError: 'nope' }, '2026-01-01T00:00:00Z').primary, 'pg-1');
  });
});
