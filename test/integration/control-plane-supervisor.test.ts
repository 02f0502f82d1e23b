// The local stack's stand-in for a kubelet: the kube-scheduler and kube-controller-manager exit when
// they lose their leader lease (a slow API server on a loaded machine is enough), and the local
// runtime starts them again; otherwise no StatefulSet would get its Pods from then on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterDir } from '../../devenv/cluster.ts';
import { componentAlive, stopComponent } from '../../devenv/control-plane.ts';
import { readPid } from '../../devenv/process.ts';
import { eventually } from '../support/kube.ts';

describe('local control plane: exited controllers are started again (the runtime as kubelet)', function () {
  this.timeout(120_000);

  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    it(`${name} SIGKILLed: running again within 15 s, as a new process`, async () => {
      const pidFile = join(clusterDir, 'pids', `${name}.pid`);
      const before = readPid(pidFile);
      assert.ok(before !== undefined && componentAlive(name), `${name} runs before the test`);
      await stopComponent(name);
      const after = await eventually(`${name} started again`, async () => {
        const pid = readPid(pidFile);
        return pid !== undefined && pid !== before && componentAlive(name) ? pid : undefined;
      }, 15_000, 250);
      assert.notEqual(after, before);
    });
  }
});
