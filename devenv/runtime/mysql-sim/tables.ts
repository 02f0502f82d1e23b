// SIMULATED database servers, dev/test infrastructure only: in-memory tables for the parsed statements
// of sql.ts (SELECT / INSERT [OR REPLACE|IGNORE] / REPLACE / UPDATE / DELETE), with primary and unique
// keys, NOT NULL, defaults, an autoincrement column, SQLite-like type affinity (ProxySQL's admin tables
// are SQLite tables).
import { resultSet, SqlError, type Cell, type Column, type Reply } from './protocol.ts';
import type { Expr, Lit, Pred, Stmt, Where } from './sql.ts';

export interface ColumnDef {
  name: string;
  type: 'int' | 'str';
  default?: Cell;
  notNull?: boolean;
}
export interface TableDef {
  name: string;
  columns: ColumnDef[];
  key: string[];
  unique?: string[][];
  autoIncrement?: string;
}
export type Row = Record<string, Cell>;

/** A readable table: its columns (in order) and rows. */
export interface Source {
  columns: Column[];
  rows: Row[];
}

type Select = Extract<Stmt, { k: 'select' }>;
type Insert = Extract<Stmt, { k: 'insert' }>;
type Update = Extract<Stmt, { k: 'update' }>;
type Delete = Extract<Stmt, { k: 'delete' }>;

export const colName = (cols: Array<{ name: string }>, name: string, table: string): string => {
  const c = cols.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!c) throw new SqlError(1054, `Unknown column '${name}' in '${table}'`, '42S22');
  return c.name;
};

function likeRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && i + 1 < pattern.length) { re += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); continue; }
    re += c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}
export const like = (value: string, pattern: string) => likeRegex(pattern).test(value);

function compare(a: Cell, b: Lit): number | undefined {
  if (a === null || b === null) return undefined;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function test(row: Row, p: Pred, cols: Array<{ name: string }>, table: string): boolean {
  const v = row[colName(cols, p.col, table)] ?? null;
  switch (p.op) {
    case 'is null': return v === null;
    case 'is not null': return v !== null;
    case 'like': return v !== null && like(String(v), String(p.value));
    case 'not like': return v !== null && !like(String(v), String(p.value));
    case 'in': return (p.value as Lit[]).some((x) => compare(v, x) === 0);
    case 'not in': return v !== null && !(p.value as Lit[]).some((x) => compare(v, x) === 0);
    default: {
      const c = compare(v, p.value as Lit);
      if (c === undefined) return false;
      return { '=': c === 0, '!=': c !== 0, '<': c < 0, '>': c > 0, '<=': c <= 0, '>=': c >= 0 }[p.op];
    }
  }
}

export function matches(row: Row, where: Where | undefined, cols: Array<{ name: string }>, table: string): boolean {
  return !where || where.some((ands) => ands.every((p) => test(row, p, cols, table)));
}

export interface ScalarContext {
  variable(name: string, scope: 'global' | 'session'): Cell | undefined;
  fn(name: string): Cell | undefined;
}

function scalar(e: Expr, ctx: ScalarContext): Cell {
  if (e.k === 'lit') return e.v;
  if (e.k === 'var') {
    const v = ctx.variable(e.name, e.scope);
    if (v === undefined) throw new SqlError(1193, `Unknown system variable '${e.name}'`);
    return v;
  }
  if (e.k === 'fn') {
    const v = ctx.fn(e.name);
    if (v === undefined) throw new SqlError(1305, `FUNCTION ${e.name} does not exist (opsflow SIMULATED server)`, '42000');
    return v;
  }
  throw new SqlError(1054, `Unknown column '${e.k === 'col' ? e.name : '*'}' in 'field list'`, '42S22');
}

const typeOf = (v: Cell): 'int' | 'str' => (typeof v === 'number' && Number.isInteger(v) ? 'int' : 'str');

/** Evaluates a SELECT; `source` resolves FROM (undefined: the table does not exist). */
export function runSelect(s: Select, ctx: ScalarContext, source: (table: string) => Source | undefined): Reply {
  if (!s.from) {
    const row = s.items.map((it) => scalar(it.expr, ctx));
    const rows = s.limit === 0 ? [] : [row];
    return resultSet(s.items.map((it, i) => ({ name: it.name, type: typeOf(row[i] ?? null) })), rows);
  }
  const src = source(s.from);
  if (!src) throw new SqlError(1146, `Table '${s.from.includes('.') ? s.from : `main.${s.from}`}' doesn't exist`, '42S02');
  let rows = src.rows.filter((r) => matches(r, s.where, src.columns, s.from ?? ''));
  for (const o of [...s.orderBy].reverse()) {
    const c = colName(src.columns, o.col, s.from);
    rows = [...rows].sort((a, b) => (compare(a[c] ?? null, b[c] ?? null) ?? ((a[c] ?? null) === null ? -1 : 1)) * (o.desc ? -1 : 1));
  }
  if (s.items.some((it) => it.expr.k === 'fn' && it.expr.name === 'COUNT')) {
    const row = s.items.map((it) => (it.expr.k === 'fn' && it.expr.name === 'COUNT' ? rows.length : scalar(it.expr, ctx)));
    return resultSet(s.items.map((it, i) => ({ name: it.name, type: typeOf(row[i] ?? null) })), [row]);
  }
  if (s.limit !== undefined) rows = rows.slice(0, s.limit);
  const columns: Column[] = [];
  const getters: Array<(r: Row) => Cell> = [];
  for (const it of s.items) {
    if (it.expr.k === 'star') {
      for (const c of src.columns) { columns.push(c); getters.push((r) => r[c.name] ?? null); }
    } else if (it.expr.k === 'col') {
      const c = colName(src.columns, it.expr.name, s.from);
      columns.push({ name: it.name, type: src.columns.find((x) => x.name === c)?.type ?? 'str' });
      getters.push((r) => r[c] ?? null);
    } else {
      const v = scalar(it.expr, ctx);
      columns.push({ name: it.name, type: typeOf(v) });
      getters.push(() => v);
    }
  }
  return resultSet(columns, rows.map((r) => getters.map((g) => g(r))));
}

/** A value stored in a column, with SQLite-like affinity: numeric text in an int column becomes a number. */
function coerce(def: ColumnDef, v: Lit): Cell {
  if (v === null) return null;
  if (def.type === 'int') {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw new SqlError(1366, `Incorrect integer value: '${v}' for column '${def.name}'`, 'HY000');
    return n;
  }
  return typeof v === 'number' ? String(v) : v;
}

const keyOf = (r: Row, cols: string[]) => JSON.stringify(cols.map((c) => r[c] ?? null));

function checkRow(def: TableDef, r: Row): void {
  for (const c of def.columns) {
    if (c.notNull && (r[c.name] ?? null) === null) throw new SqlError(1048, `NOT NULL constraint failed: ${def.name}.${c.name}`, '23000');
  }
}

/** The rows after an INSERT / REPLACE, and how many rows it wrote. */
export function runInsert(def: TableDef, rows: Row[], s: Insert): { rows: Row[]; affected: number } {
  const cols = s.columns ? s.columns.map((c) => colName(def.columns, c, def.name)) : def.columns.map((c) => c.name);
  let out = [...rows];
  let affected = 0;
  for (const values of s.rows) {
    if (values.length !== cols.length) throw new SqlError(1136, "Column count doesn't match value count at row 1", '21S01');
    const r: Row = {};
    for (const c of def.columns) r[c.name] = c.default ?? null;
    cols.forEach((c, i) => { r[c] = coerce(def.columns.find((x) => x.name === c) as ColumnDef, values[i] ?? null); });
    if (def.autoIncrement && (r[def.autoIncrement] ?? null) === null) {
      r[def.autoIncrement] = Math.max(0, ...out.map((x) => Number(x[def.autoIncrement ?? ''] ?? 0))) + 1;
    }
    checkRow(def, r);
    const keys = [def.key, ...(def.unique ?? [])];
    const conflicts = out.filter((x) => keys.some((k) => keyOf(x, k) === keyOf(r, k)));
    if (conflicts.length) {
      if (s.mode === 'ignore') continue;
      if (s.mode === 'insert') {
        const k = keys.find((kk) => conflicts.some((x) => keyOf(x, kk) === keyOf(r, kk))) ?? def.key;
        throw new SqlError(1062, `UNIQUE constraint failed: ${k.map((c) => `${def.name}.${c}`).join(', ')}`, '23000');
      }
      out = out.filter((x) => !conflicts.includes(x));
    }
    out.push(r);
    affected++;
  }
  return { rows: out, affected };
}

export function runUpdate(def: TableDef, rows: Row[], s: Update): { rows: Row[]; affected: number } {
  const sets = s.sets.map((x) => {
    const name = colName(def.columns, x.col, def.name);
    return { name, value: coerce(def.columns.find((c) => c.name === name) as ColumnDef, x.value) };
  });
  let affected = 0;
  const out = rows.map((r) => {
    if (!matches(r, s.where, def.columns, def.name)) return r;
    affected++;
    const n = { ...r };
    for (const x of sets) n[x.name] = x.value;
    checkRow(def, n);
    return n;
  });
  const keys = [def.key, ...(def.unique ?? [])];
  for (const k of keys) {
    if (new Set(out.map((r) => keyOf(r, k))).size !== out.length) {
      throw new SqlError(1062, `UNIQUE constraint failed: ${k.map((c) => `${def.name}.${c}`).join(', ')}`, '23000');
    }
  }
  return { rows: out, affected };
}

export function runDelete(def: TableDef, rows: Row[], s: Delete): { rows: Row[]; affected: number } {
  const out = rows.filter((r) => !matches(r, s.where, def.columns, def.name));
  return { rows: out, affected: rows.length - out.length };
}

/** Rows sorted by the table's key, as arrays in column order: what a checksum is computed over. */
export function canonical(def: TableDef, rows: Row[]): Cell[][] {
  return [...rows]
    .sort((a, b) => {
      const ka = keyOf(a, def.key);
      const kb = keyOf(b, def.key);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    })
    .map((r) => def.columns.map((c) => r[c.name] ?? null));
}

export const sourceOf = (def: TableDef, rows: Row[]): Source => ({ columns: def.columns.map((c) => ({ name: c.name, type: c.type })), rows });
