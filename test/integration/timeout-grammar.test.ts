// The CRD (pattern + CEL bounds, enforced by the real API server) and the worker's parser accept
// exactly the same spec.timeout values.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/api/common.ts';
import { timeoutProblem } from '../../src/api/duration.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, tempNamespace } from '../support/kube.ts';
import { timeoutCases } from '../support/timeout-cases.ts';

describe('spec.timeout: the CRD and the worker agree', function () {
  this.timeout(60_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('timeouts');
  });
  after(async () => { await ns.remove(); });

  for (const [i, c] of timeoutCases.entries()) {
    it(`${JSON.stringify(c.value)}: API server ${c.ok ? 'accepts' : 'refuses'}, like the worker`, async () => {
      const create = clients().custom.createNamespacedCustomObject({
        group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns.name, dryRun: 'All',
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'PostgresOpsRequest', metadata: { name: `t${i}` }, spec: { type: 'Restart', databaseRef: { name: 'pg' }, timeout: c.value } },
      });
      const workerAccepts = timeoutProblem(c.value) === undefined;
      if (c.ok) {
        assert.equal(workerAccepts, true);
        await create;
      } else {
        assert.equal(workerAccepts, false);
        await assert.rejects(create, (e: unknown) => e instanceof ApiException && e.code === 422 && /spec\.timeout/.test(String(e.body)));
      }
    });
  }
});
