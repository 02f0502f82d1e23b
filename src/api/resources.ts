// Compute resources (the shape of core/v1 ResourceRequirements) and the part of KubeDB's podTemplate
// opsflow renders: spec.containers[].resources. Quantities are checked (grammar, requests ≤ limits)
// by src/engines/resources.ts, so a bad one fails its OpsRequest naming the field.
import { z } from 'zod';

/** A Kubernetes quantity: "500m", "2Gi", "0.7", or a plain number (int-or-string, as core/v1 has it). */
export const QuantitySchema = z.union([z.string().min(1).max(64), z.number()]);
export type Quantity = z.infer<typeof QuantitySchema>;

export const ResourceRequirementsSchema = z.object({
  requests: z.record(z.string(), QuantitySchema).optional(),
  limits: z.record(z.string(), QuantitySchema).optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirementsSchema>;

/** KubeDB's podTemplate, as far as opsflow renders it: each container's resources (by container name). */
export const PodTemplateSchema = z.object({
  spec: z.object({
    containers: z.array(z.object({ name: z.string().min(1), resources: ResourceRequirementsSchema.optional() })).optional(),
  }).optional(),
}).meta({ description: 'KubeDB\'s podTemplate; opsflow renders spec.containers[].resources (set by a VerticalScaling OpsRequest)' });
export type PodTemplate = z.infer<typeof PodTemplateSchema>;

/** spec.verticalScaling.<role> of an OpsRequest. */
export const ContainerResourcesSchema = z.object({ resources: ResourceRequirementsSchema });
