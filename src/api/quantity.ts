// Kubernetes storage quantities (pure): the forms a PVC's storage request takes (1Gi, 500Mi, 2G,
// 1073741824), as bytes, so a size can be compared. Exponent forms (1e9) and milli units are refused.
const UNITS: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** The same forms spec.storage accepts (src/api/common.ts). */
export const QUANTITY_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** The bytes of a quantity, or undefined when it is not one (or not a whole, positive number of bytes). */
export function quantityBytes(q: string | undefined): number | undefined {
  const m = QUANTITY_PATTERN.exec(q ?? '');
  if (!m) return undefined;
  const bytes = Math.ceil(Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN));
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}

/** a < b (-1), a == b (0), a > b (1); both must be quantities. */
export function compareQuantities(a: string, b: string): number {
  const x = quantityBytes(a);
  const y = quantityBytes(b);
  if (x === undefined || y === undefined) throw new Error(`not a quantity: ${x === undefined ? a : b}`);
  return Math.sign(x - y);
}
