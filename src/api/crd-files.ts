// The CRD files as they are committed under k8s/crds (pure: file name → YAML text).
import { stringify } from 'yaml';
import { renderCrd } from './crd.ts';
import { kinds } from './kinds.ts';

const header = '# Generated from src/api by `npm run gen:crds`. Do not edit by hand.\n';

export function crdFiles(): Array<[string, string]> {
  return kinds.map((k) => [`${k.plural}.yaml`, header + stringify(renderCrd(k), { lineWidth: 0 })]);
}
