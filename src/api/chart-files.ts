// The Helm chart's generated files (pure: path under charts/opsflow → text): its crds/ are the
// CRDs of k8s/crds, its catalog template is k8s/catalog with Helm's keep policy (uninstalling
// opsflow leaves the version catalog that databases name). `npm run gen:crds` writes them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { crdFiles } from './crd-files.ts';

const repo = join(import.meta.dirname, '..', '..');
const catalogFiles = ['postgresversions.yaml', 'singlestoreversions.yaml', 'proxysqlversions.yaml'];

function catalogTemplate(): string {
  const docs = catalogFiles.flatMap((f) => parseAllDocuments(readFileSync(join(repo, 'k8s', 'catalog', f), 'utf8')).map((d) => d.toJS() as { metadata: Record<string, unknown> }));
  const body = docs.map((d) => {
    d.metadata.annotations = { ...(d.metadata.annotations as object | undefined), 'helm.sh/resource-policy': 'keep' };
    return stringify(d, { lineWidth: 0 });
  }).join('---\n');
  return '# Generated from k8s/catalog by `npm run gen:crds`. Do not edit by hand.\n{{- if .Values.catalog.install }}\n' + body + '{{- end }}\n';
}

export function chartFiles(): Array<[string, string]> {
  return [...crdFiles().map(([f, t]): [string, string] => [`crds/${f}`, t]), ['templates/catalog.yaml', catalogTemplate()]];
}
