// The image and the manifests agree with the code (no Docker engine here, so no build): the
// Dockerfile copies files that exist and are not ignored, its Node matches the pinned one, its CMD
// and the Deployments' commands exist; Deployments run non-root on a read-only root filesystem as
// the ServiceAccounts the RBAC binds; the shipped Temporal ConfigMap passes opsflow's own validation;
// the kustomization lists every CRD, catalog and deploy file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoDir } from '../../devenv/paths.ts';
import { loadConfig } from '../../src/config.ts';

const read = (p: string) => readFileSync(join(repoDir, p), 'utf8');
const docs = (p: string) => parseAllDocuments(read(p)).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown });
const dockerfile = read('Dockerfile').split('\n').filter((l) => !l.startsWith('#'));

type Container = { command: string[]; image: string; securityContext: Record<string, unknown>; volumeMounts: Array<{ name: string; mountPath: string }>; envFrom?: Array<{ configMapRef: { name: string } }> };
type Deployment = { metadata: { name: string }; spec: { template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[]; volumes: Array<{ name: string; emptyDir?: unknown }> } } } };

describe('Dockerfile and k8s/deploy', () => {
  it('Dockerfile: multi-stage on the pinned Node 24', () => {
    const froms = dockerfile.filter((l) => l.startsWith('FROM '));
    assert.equal(froms.length, 2);
    const pinned = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> }).devDependencies.node;
    for (const f of froms) assert.match(f, new RegExp(`^FROM node:${pinned?.replace(/\./g, '\\.')}-bookworm-slim\\b`), f);
    const stage = /AS (\S+)/.exec(froms[0] ?? '')?.[1];
    assert.ok(dockerfile.some((l) => l.startsWith(`COPY --from=${stage} `)), 'the runtime stage copies from the deps stage');
  });

  it('Dockerfile: every COPY source exists and is let through by .dockerignore', () => {
    const allowed = read('.dockerignore').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    assert.ok(read('.dockerignore').split('\n').includes('*'), '.dockerignore excludes everything by default');
    const sources = dockerfile.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    assert.ok(sources.length >= 4);
    for (const s of sources) {
      assert.ok(existsSync(join(repoDir, s)), `${s} exists`);
      assert.ok(allowed.includes(s), `${s} is not ignored by .dockerignore`);
    }
  });

  it('the CMD and both Deployments\' commands run entry points that exist, with tsx', () => {
    const cmd = JSON.parse(dockerfile.find((l) => l.startsWith('CMD '))?.slice(4) ?? '[]') as string[];
    const deployments = ['k8s/deploy/watcher.yaml', 'k8s/deploy/worker.yaml'].flatMap(docs).filter((d) => d.kind === 'Deployment') as unknown as Deployment[];
    assert.equal(deployments.length, 2);
    const commands = [cmd, ...deployments.map((d) => d.spec.template.spec.containers[0]?.command ?? [])];
    for (const c of commands) {
      assert.deepEqual(c.slice(0, 3), ['node', '--import', 'tsx']);
      assert.ok(existsSync(join(repoDir, c[3] ?? '')), `${c[3]} exists`);
    }
    assert.deepEqual(commands.map((c) => c[3]).sort(), ['src/watcher/main.ts', 'src/worker/main.ts', 'src/worker/main.ts']);
    assert.match(dockerfile.find((l) => l.startsWith('USER ')) ?? '', /^USER [1-9]\d*:[1-9]\d*$/, 'a numeric non-root user');
  });

  it('Deployments: non-root, read-only root filesystem with /tmp writable, as the ServiceAccounts the RBAC binds', () => {
    const deployments = ['k8s/deploy/watcher.yaml', 'k8s/deploy/worker.yaml'].flatMap(docs).filter((d) => d.kind === 'Deployment') as unknown as Deployment[];
    const accounts = docs('k8s/deploy/serviceaccounts.yaml').map((d) => d.metadata.name);
    const bound = docs('k8s/deploy/rbac.yaml').filter((d) => d.kind === 'ClusterRoleBinding').flatMap((d) => (d.subjects as Array<{ name: string }>).map((s) => s.name));
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      assert.ok(accounts.includes(pod.serviceAccountName) && bound.includes(pod.serviceAccountName), `${d.metadata.name}: ${pod.serviceAccountName} exists and is bound`);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      const c = pod.containers[0];
      assert.ok(c);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual((c.securityContext.capabilities as { drop: string[] }).drop, ['ALL']);
      const tmp = c.volumeMounts.find((m) => m.mountPath === '/tmp');
      assert.ok(tmp && pod.volumes.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
      assert.equal(c.image, 'opsflow:0.1.0');
    }
  });

  it('HA: 2 watcher and 2 worker replicas, each with a PodDisruptionBudget and anti-affinity; the watcher elects on a Lease it may renew', () => {
    for (const name of ['watcher', 'worker']) {
      const all = docs(`k8s/deploy/${name}.yaml`);
      const d = all.find((x) => x.kind === 'Deployment') as unknown as { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: { affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: Array<{ podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } } }> } } } } } };
      assert.equal(d.spec.replicas, 2, `${name} replicas`);
      const term = d.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
      assert.equal(term?.topologyKey, 'kubernetes.io/hostname');
      assert.deepEqual(term?.labelSelector.matchLabels, d.spec.selector.matchLabels, `${name}: anti-affinity selects its own Pods`);
      const pdb = all.find((x) => x.kind === 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } } | undefined;
      assert.ok(pdb, `${name} has a PodDisruptionBudget`);
      assert.equal(pdb.spec.minAvailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
    }
    const watcher = docs('k8s/deploy/watcher.yaml').find((x) => x.kind === 'Deployment') as unknown as Deployment & { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }> }> } } } };
    const env = watcher.spec.template.spec.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    assert.equal(env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    const role = docs('k8s/deploy/rbac.yaml').find((x) => x.kind === 'Role' && x.metadata.name === 'opsflow-watcher-leader-election') as unknown as { metadata: { namespace: string }; rules: Array<{ resources: string[]; verbs: string[] }> } | undefined;
    assert.equal(role?.metadata.namespace, 'opsflow-system');
    assert.deepEqual(role?.rules[0]?.resources, ['leases']);
    assert.deepEqual([...(role?.rules[0]?.verbs ?? [])].sort(), ['create', 'get', 'update']);
  });

  it('the shipped Temporal ConfigMap passes opsflow\'s start-up validation', () => {
    const cm = docs('k8s/deploy/temporal-config.yaml')[0] as unknown as { data: Record<string, string> };
    const c = loadConfig({ ...cm.data, OPSFLOW_METRICS_ADDRESS: '0.0.0.0:9464' });
    assert.equal(c.temporal.address, cm.data.TEMPORAL_ADDRESS);
    assert.equal(c.temporal.tls, undefined);
  });

  it('the kustomization lists every CRD, catalog file and deploy manifest (except the per-namespace template)', () => {
    const k = docs('k8s/kustomization.yaml')[0] as unknown as { resources: string[] };
    const want = [
      ...readdirSync(join(repoDir, 'k8s', 'crds')).map((f) => `crds/${f}`),
      ...readdirSync(join(repoDir, 'k8s', 'catalog')).map((f) => `catalog/${f}`),
      ...readdirSync(join(repoDir, 'k8s', 'deploy')).filter((f) => f !== 'database-namespace.yaml').map((f) => `deploy/${f}`),
    ];
    assert.deepEqual([...k.resources].sort(), want.sort());
  });
});
