// k8s/crds is generated from the zod schemas; this fails when they drift (fix: npm run gen:crds).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { crdFiles } from '../../src/api/crd-files.ts';
import { toStructural } from '../../src/api/crd.ts';
import { repoDir } from '../../devenv/paths.ts';

const dir = join(repoDir, 'k8s', 'crds');

describe('CRDs', () => {
  const files = crdFiles();
  it('k8s/crds holds exactly the generated files', () => {
    assert.deepEqual(readdirSync(dir).sort(), files.map(([f]) => f).sort());
  });
  for (const [file, text] of files) {
    it(`k8s/crds/${file} matches the schemas (run \`npm run gen:crds\` if not)`, () => {
      assert.equal(readFileSync(join(dir, file), 'utf8'), text);
    });
  }
  it('generated schemas are structural: no $schema, const, propertyNames or anyOf anywhere', () => {
    for (const [file, text] of files) {
      const s = JSON.stringify(parse(text));
      for (const banned of ['"$schema"', '"const"', '"propertyNames"', '"anyOf"', '"oneOf"']) assert.ok(!s.includes(banned), `${file} contains ${banned}`);
    }
  });
  const conversions: Array<{ name: string; in: unknown; out: unknown }> = [
    { name: 'literal union → enum', in: { anyOf: [{ type: 'string', const: 'a' }, { type: 'string', const: 'b' }] }, out: { type: 'string', enum: ['a', 'b'] } },
    { name: 'const → enum', in: { type: 'string', const: 'x' }, out: { type: 'string', enum: ['x'] } },
    { name: 'string|number → int-or-string', in: { type: ['string', 'number'] }, out: { 'x-kubernetes-int-or-string': true } },
    { name: 'loose object keeps unknown fields', in: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: {} }, out: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true } },
    { name: 'closed object drops additionalProperties:false', in: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, out: { type: 'object', properties: { a: { type: 'string' } } } },
    { name: 'safe-integer bounds are dropped', in: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, out: { type: 'integer', minimum: 1 } },
  ];
  for (const c of conversions) it(`structural conversion: ${c.name}`, () => assert.deepEqual(toStructural(c.in), c.out));
});
