import { compileField } from './compile.js';
import type { Node } from './ir.js';
import { resolveField } from './resolve.js';

/**
 * The entry fields an index keeps as SQL columns. A column holds exactly what the query's
 * own getter reads (the same function computes both), and NULL where the getter finds the
 * field missing or of another type: that is what makes SQL push-down exact.
 */
export interface IndexedColumn {
  column: string;
  /** Catalog path as the checker spells it (aliases resolved): `timestampUs`, `src.name`. */
  path: string;
  kind: 'string' | 'number';
  read(entry: object): string | number | null;
}

function column(name: string, path: string): IndexedColumn {
  const [head, ...rest] = path.split('.');
  const span = { start: 0, end: 0 };
  const steps = rest.map((n) => ({ kind: 'name' as const, name: n, span }));
  const field = resolveField(head!, span, steps, span) as Extract<Node, { k: 'field' }>;
  if (field.scalar !== 'string' && field.scalar !== 'number')
    throw new Error(`${path} is not a scalar field`);
  const get = compileField(field);
  return {
    column: name,
    path: field.path,
    kind: field.scalar,
    read: (entry) => (get(entry) as string | number | undefined) ?? null,
  };
}

export const INDEXED_COLUMNS: readonly IndexedColumn[] = [
  column('ts_us', 'timestamp'),
  column('elapsed_us', 'elapsed'),
  column('protocol', 'protocol'),
  column('transport', 'transport'),
  column('src_ip', 'src.ip'),
  column('src_port', 'src.port'),
  column('src_name', 'src.name'),
  column('src_namespace', 'src.namespace'),
  column('dst_ip', 'dst.ip'),
  column('dst_port', 'dst.port'),
  column('dst_name', 'dst.name'),
  column('dst_namespace', 'dst.namespace'),
  column('method', 'request.method'),
  column('path', 'request.path'),
  column('status', 'response.status'),
  column('stream_key', 'streamKey'),
  column('node', 'node'),
];

export const COLUMN_BY_PATH: ReadonlyMap<string, IndexedColumn> = new Map(
  INDEXED_COLUMNS.map((c) => [c.path, c]),
);
