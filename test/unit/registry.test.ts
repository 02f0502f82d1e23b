// The engine registry is the one list: the worker exports every workflow it names, every kind it
// names has a CRD, and the deploy RBAC grants both processes every kind it names.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoDir } from '../../devenv/paths.ts';
import { kindInfo } from '../../src/api/kinds.ts';
import { catalogKinds, databaseKinds, engines, opsKinds, workflowTypeFor, workflowTypes } from '../../src/api/registry.ts';
import * as workflows from '../../src/workflows/index.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const roles = parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'deploy', 'rbac.yaml'), 'utf8'))
  .map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: Rule[] })
  .filter((d) => d.kind === 'ClusterRole');
const granted = (role: string, resource: string) => roles.filter((r) => r.metadata.name.includes(role))
  .some((r) => (r.rules ?? []).some((x) => x.apiGroups.includes('opsflow.dev') && x.resources.includes(resource)));

describe('engine registry', () => {
  it('the worker exports every workflow the registry names', () => {
    for (const t of workflowTypes) assert.equal(typeof (workflows as Record<string, unknown>)[t], 'function', t);
  });
  it('every registered kind has a CRD', () => {
    for (const k of [...databaseKinds, ...opsKinds, ...catalogKinds]) assert.ok(kindInfo(k).plural, k);
  });
  it('the workflow table comes from the registry', () => {
    assert.equal(workflowTypeFor('PostgresOpsRequest', 'Restart'), 'postgresRestart');
    assert.equal(workflowTypeFor('PostgresOpsRequest', 'Defragment'), undefined);
    assert.equal(workflowTypeFor('NoSuchOpsRequest', 'Restart'), undefined);
  });
  for (const role of ['watcher', 'worker']) {
    it(`the ${role}'s RBAC grants every registered OpsRequest and database kind (and their status)`, () => {
      for (const e of engines) {
        for (const kind of [e.database, e.opsKind]) {
          const plural = kindInfo(kind).plural;
          assert.ok(granted(role, plural), `${role}: ${plural}`);
          assert.ok(granted(role, `${plural}/status`), `${role}: ${plural}/status`);
        }
      }
    });
  }
});
