// Renders CustomResourceDefinitions from the zod schemas (pure). zod's JSON Schema is a start;
// a CRD needs a structural schema: no $schema, const, propertyNames, or additionalProperties:false,
// literal unions as enums.
import { z } from 'zod';
import { GROUP, VERSION } from './common.ts';
import type { KindInfo } from './kinds.ts';

type Json = { [k: string]: unknown };

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns one node of zod's JSON Schema into a structural OpenAPI v3 schema node. */
export function toStructural(node: unknown): Json {
  if (!isObj(node)) throw new Error(`unexpected schema node ${JSON.stringify(node)}`);
  const out: Json = {};
  const anyOf = node.anyOf as Json[] | undefined;
  if (anyOf) {
    // A union of string literals becomes an enum; a union of scalars of several types becomes
    // int-or-string or preserves unknown (structural schemas have no type unions).
    if (anyOf.every((a) => 'const' in a)) {
      out.type = anyOf[0]?.type ?? 'string';
      out.enum = anyOf.map((a) => a.const);
    } else {
      const types = new Set(anyOf.map((a) => a.type));
      if (types.size === 1) return { ...toStructural(anyOf[0]), ...copyDocs(node) };
      if ([...types].every((t) => t === 'string' || t === 'integer' || t === 'number')) out['x-kubernetes-int-or-string'] = true;
      else out['x-kubernetes-preserve-unknown-fields'] = true;
    }
    return { ...copyDocs(node), ...out };
  }
  if (Array.isArray(node.type)) {
    const types = node.type as string[];
    if (types.every((t) => t === 'string' || t === 'integer' || t === 'number')) return { ...copyDocs(node), 'x-kubernetes-int-or-string': true };
    return { ...copyDocs(node), 'x-kubernetes-preserve-unknown-fields': true };
  }
  for (const [k, v] of Object.entries(node)) {
    switch (k) {
      case '$schema':
      case 'propertyNames':
      case 'id':
        break;
      case 'const':
        out.enum = [v];
        break;
      case 'maximum':
        if (v !== Number.MAX_SAFE_INTEGER) out.maximum = v;
        break;
      case 'minimum':
        if (v !== Number.MIN_SAFE_INTEGER) out.minimum = v;
        break;
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, toStructural(pv)]));
        break;
      case 'items':
        out.items = toStructural(v);
        break;
      case 'additionalProperties':
        if (isObj(v)) {
          // A loose object (passthrough) keeps unknown fields instead of pruning them.
          if (node.properties) out['x-kubernetes-preserve-unknown-fields'] = true;
          else out.additionalProperties = toStructural(v);
        }
        break;
      default:
        out[k] = v;
    }
  }
  if (out.type === 'object' && !out.properties && !out.additionalProperties) out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

function copyDocs(node: Json): Json {
  const out: Json = {};
  for (const k of ['description', 'default', 'x-kubernetes-validations']) if (k in node) out[k] = node[k];
  return out;
}

function fieldSchema(schema: z.ZodType): Json {
  return toStructural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }));
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of one kind. */
export function renderCrd(info: KindInfo): Json {
  const shape = info.schema.shape as Record<string, z.ZodType>;
  const properties: Json = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
  };
  if (!shape.spec) throw new Error(`${info.kind} has no spec`);
  properties.spec = fieldSchema(shape.spec);
  if (info.hasStatus && shape.status) properties.status = fieldSchema(shape.status);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: info.kind, listKind: `${info.kind}List`, plural: info.plural, singular: info.singular, shortNames: info.shortNames, categories: info.categories },
      scope: info.scope,
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        ...(info.hasStatus ? { subresources: { status: {} } } : {}),
        additionalPrinterColumns: info.columns,
        ...(info.selectableFields ? { selectableFields: info.selectableFields } : {}),
        schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties } },
      }],
    },
  };
}
