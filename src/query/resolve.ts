import type { PathStep } from './ast.js';
import { ENTRY_FIELDS, FIELD_ALIASES, typeName, type FieldType } from './catalog.js';
import { QueryFault, type Span } from './errors.js';
import type { Node, ResolvedStep } from './ir.js';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** " (did you mean x?)" when a known name is close to what was typed. */
function suggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

function unknownField(path: string, name: string, known: readonly string[], span: Span): QueryFault {
  return new QueryFault('QUERY_UNKNOWN_FIELD', `unknown field ${path}${suggestion(name, known)}`, span);
}

interface Cursor {
  type: FieldType;
  path: string;
  plural: boolean;
  steps: ResolvedStep[];
}

function objectField(cur: Cursor, name: string, span: Span): void {
  if (cur.type.t !== 'object') throw new Error('unreachable');
  const fields = cur.type.fields;
  const path = `${cur.path}.${name}`;
  if (!Object.hasOwn(fields, name)) throw unknownField(path, name, Object.keys(fields), span);
  cur.type = fields[name]!;
  cur.path = path;
  cur.steps.push({ s: 'prop', name });
}

/** `list.name`: the field of every element (the result may hold several values). */
function elementField(cur: Cursor, name: string, span: Span): void {
  if (cur.type.t !== 'list') throw new Error('unreachable');
  const element = cur.type.of;
  const path = `${cur.path}.${name}`;
  if (element.t !== 'object') {
    throw new QueryFault(
      'QUERY_UNKNOWN_FIELD',
      `${cur.path} is a ${typeName(cur.type)}; it has no fields`,
      span,
    );
  }
  if (!Object.hasOwn(element.fields, name)) throw unknownField(path, name, Object.keys(element.fields), span);
  cur.type = element.fields[name]!;
  cur.path = path;
  cur.plural = true;
  cur.steps.push({ s: 'mapProp', name });
}

function keyStep(cur: Cursor, key: string, span: Span): void {
  const type = cur.type;
  if (type.t === 'object') return objectField(cur, key, span);
  cur.path = `${cur.path}[${JSON.stringify(key)}]`;
  if (type.t === 'map') {
    cur.type = type.of;
    cur.steps.push({ s: 'prop', name: key });
  } else if (type.t === 'list' && type.named) {
    const { caseInsensitive, valueKey, valueType } = type.named;
    cur.type = valueType;
    cur.plural = true;
    cur.steps.push({ s: 'lookup', key, caseInsensitive, valueKey });
  } else {
    throw new QueryFault('QUERY_UNKNOWN_FIELD', `cannot look up a name in a ${typeName(type)}`, span);
  }
}

function nameStep(cur: Cursor, name: string, span: Span): void {
  switch (cur.type.t) {
    case 'object':
      return objectField(cur, name, span);
    case 'map':
      return keyStep(cur, name, span);
    case 'list':
      if (cur.type.named && cur.type.of.t === 'object' && !Object.hasOwn(cur.type.of.fields, name)) {
        throw new QueryFault(
          'QUERY_UNKNOWN_FIELD',
          `unknown field ${cur.path}.${name} (look names up with ${cur.path}["${name}"])`,
          span,
        );
      }
      return elementField(cur, name, span);
    default:
      throw new QueryFault(
        'QUERY_UNKNOWN_FIELD',
        `${cur.path} is a ${typeName(cur.type)}; it has no fields`,
        span,
      );
  }
}

function indexStep(cur: Cursor, index: number, span: Span): void {
  if (cur.type.t !== 'list') {
    throw new QueryFault('QUERY_UNKNOWN_FIELD', `${cur.path} is a ${typeName(cur.type)}, not a list`, span);
  }
  cur.type = cur.type.of;
  cur.path = `${cur.path}[${index}]`;
  cur.steps.push({ s: 'index', index });
}

/** Below an `any` value nothing is known: names and keys are looked up at run time. */
function dynamicStep(cur: Cursor, step: PathStep): void {
  cur.plural = true;
  if (step.kind === 'index') {
    cur.path = `${cur.path}[${step.index}]`;
    cur.steps.push({ s: 'index', index: step.index });
  } else if (step.kind === 'name') {
    cur.path = `${cur.path}.${step.name}`;
    cur.steps.push({ s: 'mapProp', name: step.name });
  } else {
    cur.path = `${cur.path}[${JSON.stringify(step.key)}]`;
    cur.steps.push({ s: 'dynamicKey', key: step.key });
  }
}

/** Resolves `head.step...` against the catalog; throws QUERY_UNKNOWN_FIELD. */
export function resolveField(head: string, headSpan: Span, steps: readonly PathStep[], span: Span): Node {
  const name = FIELD_ALIASES.get(head) ?? head;
  if (!Object.hasOwn(ENTRY_FIELDS, name)) {
    const known = [...Object.keys(ENTRY_FIELDS), ...FIELD_ALIASES.keys()];
    throw unknownField(head, head, known, headSpan);
  }
  const cur: Cursor = { type: ENTRY_FIELDS[name]!, path: name, plural: false, steps: [{ s: 'prop', name }] };
  for (const step of steps) {
    if (cur.type.t === 'any') dynamicStep(cur, step);
    else if (step.kind === 'name') nameStep(cur, step.name, step.span);
    else if (step.kind === 'key') keyStep(cur, step.key, step.span);
    else indexStep(cur, step.index, step.span);
  }
  const t = cur.type.t;
  const scalar = !cur.plural && (t === 'string' || t === 'number' || t === 'boolean') ? t : undefined;
  return { k: 'field', steps: cur.steps, path: cur.path, scalar, plural: cur.plural, ty: cur.type, span };
}
