import type { CompareOp } from './ast.js';
import { typeName, type FieldType } from './catalog.js';
import type { Span } from './errors.js';

/** The type of a checked expression: a catalog type, or the literal-only `null` and `regex`. */
export type Ty = FieldType | { t: 'null' } | { t: 'regex' };

export const BOOL: Ty = { t: 'boolean' };
export const NUM: Ty = { t: 'number' };
export const STR: Ty = { t: 'string' };
export const ANY: Ty = { t: 'any' };

/** One step of a resolved field path (see runtime.ts for what each does to a value). */
export type ResolvedStep =
  | { s: 'prop'; name: string }
  | { s: 'mapProp'; name: string }
  | { s: 'index'; index: number }
  | { s: 'lookup'; key: string; caseInsensitive: boolean; valueKey?: string }
  | { s: 'dynamicKey'; key: string };

export type FunctionName = 'startsWith' | 'endsWith' | 'contains' | 'len';

/** A checked query: names resolved, types known, time helpers folded to constants. */
export type Node =
  | { k: 'const'; value: unknown; ty: Ty; span: Span }
  | {
      k: 'field';
      steps: ResolvedStep[];
      /** Dotted path of the catalog field (`src.name`), for columns and messages. */
      path: string;
      /** Set when the field is a documented scalar: other types read as missing. */
      scalar?: 'string' | 'number' | 'boolean';
      /** Set when a lookup or list may give several values. */
      plural: boolean;
      ty: Ty;
      span: Span;
    }
  | { k: 'and' | 'or'; terms: Node[]; ty: Ty; span: Span }
  | { k: 'not'; operand: Node; ty: Ty; span: Span }
  | { k: 'compare'; op: CompareOp; left: Node; right: Node; ty: Ty; span: Span }
  | { k: 'call'; fn: FunctionName; args: Node[]; ty: Ty; span: Span }
  /** A sum: `signs[i]` (+1 or -1) multiplies `terms[i]`. */
  | { k: 'arith'; terms: Node[]; signs: number[]; ty: Ty; span: Span }
  | { k: 'negate'; operand: Node; ty: Ty; span: Span }
  /** A boolean field used as a condition: true when the value (or one of its values) is `true`. */
  | { k: 'truthy'; operand: Node; ty: Ty; span: Span };

/** The type a comparison sees: a list compares through its elements. */
export function leafType(ty: Ty): Ty {
  return ty.t === 'list' ? leafType(ty.of) : ty;
}

export function describeType(ty: Ty): string {
  if (ty.t === 'null' || ty.t === 'regex') return ty.t === 'null' ? 'null' : 'a regular expression';
  return typeName(ty);
}
