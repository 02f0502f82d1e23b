// docker-compose.temporal.yml, checked structurally (no Docker engine here): Temporal on PostgreSQL
// with the Web UI, pinned images, start order by health, loopback-only ports, the environment the
// auto-setup image reads, and the search attributes opsflow's runs carry registered.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoDir } from '../../devenv/paths.ts';
import { searchAttributes } from '../../src/temporal/client.ts';

type Service = {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
  command?: string[];
  volumes?: string[];
};
const compose = parse(readFileSync(join(repoDir, 'docker-compose.temporal.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const svc = (name: string): Service => {
  const s = compose.services[name];
  assert.ok(s, `service ${name} exists`);
  return s;
};
const dependsOn = (s: Service, on: string) => (Array.isArray(s.depends_on) ? undefined : s.depends_on?.[on]?.condition);

describe('docker-compose.temporal.yml', () => {
  it('has PostgreSQL, Temporal (auto-setup), the search-attribute job and the Web UI', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['postgresql', 'temporal', 'temporal-setup', 'temporal-ui']);
    assert.match(svc('postgresql').image ?? '', /^postgres:/);
    assert.match(svc('temporal').image ?? '', /^temporalio\/auto-setup:/);
    assert.match(svc('temporal-ui').image ?? '', /^temporalio\/ui:/);
  });

  it('pins every image to an explicit version tag', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.match(s.image ?? '', /^[a-z0-9./-]+:\d+(\.\d+)+$/, `${name}: ${s.image} has an explicit version tag`);
    }
  });

  it('starts in order of health: PostgreSQL → Temporal → setup job and UI', () => {
    assert.ok(svc('postgresql').healthcheck, 'PostgreSQL has a healthcheck');
    assert.ok(svc('temporal').healthcheck, 'Temporal has a healthcheck');
    assert.equal(dependsOn(svc('temporal'), 'postgresql'), 'service_healthy');
    assert.equal(dependsOn(svc('temporal-setup'), 'temporal'), 'service_healthy');
    assert.equal(dependsOn(svc('temporal-ui'), 'temporal'), 'service_healthy');
  });

  it('publishes ports on loopback only: the frontend on 7233, the UI on 8080', () => {
    const all = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    for (const p of all) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${p} is bound to 127.0.0.1`);
    assert.deepEqual(svc('temporal').ports, ['127.0.0.1:7233:7233']);
    assert.deepEqual(svc('temporal-ui').ports, ['127.0.0.1:8080:8080']);
    assert.equal(svc('postgresql').ports, undefined, 'the database is not published');
  });

  it('gives auto-setup the PostgreSQL environment it reads, matching the database service', () => {
    const env = svc('temporal').environment ?? {};
    const db = svc('postgresql').environment ?? {};
    assert.ok(['postgres12', 'postgres12_pgx'].includes(env.DB ?? ''), `DB=${env.DB}`);
    assert.equal(env.DB_PORT, '5432');
    assert.equal(env.POSTGRES_SEEDS, 'postgresql', 'the seed is the database service');
    assert.equal(env.POSTGRES_USER, db.POSTGRES_USER);
    assert.equal(env.POSTGRES_PWD, db.POSTGRES_PASSWORD);
    assert.ok(svc('postgresql').volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data')), 'persistent data volume');
    assert.ok(compose.volumes && 'temporal-db' in compose.volumes);
    assert.equal(svc('temporal-ui').environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('registers every search attribute opsflow sets on its runs, as Keyword', () => {
    const script = (svc('temporal-setup').command ?? []).join('\n');
    assert.match(script, /--type Keyword/);
    for (const key of Object.values(searchAttributes)) {
      assert.equal(key.type, 'KEYWORD');
      assert.match(script, new RegExp(`\\b${key.name}\\b`), `${key.name} is registered`);
    }
  });
});
