/**
 * Run-time pieces the compiled closures are made of. Values are plain JSON values from the
 * entry; `undefined`/`null` is a missing field; a `Multi` is what a name lookup or a field
 * of every list element yields when there are several values (each is compared in turn).
 */
export class Multi {
  constructor(readonly values: readonly unknown[]) {}
}

export type Getter = (entry: object) => unknown;
export type Test = (entry: object) => boolean;

/** A step of a resolved path, applied to one value (never a Multi or a missing value). */
export type StepFn = (value: unknown) => unknown;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects step results: nothing → undefined, one value → itself, several → a Multi. */
function gather(results: unknown[]): unknown {
  if (results.length === 0) return undefined;
  return results.length === 1 ? results[0] : new Multi(results);
}

/** Applies `step` to each value of a Multi (flattening Multi results), or to a single value. */
export function applyStep(value: unknown, step: StepFn): unknown {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Multi)) return step(value);
  const out: unknown[] = [];
  for (const v of value.values) {
    const r = step(v);
    if (r === undefined || r === null) continue;
    if (r instanceof Multi) out.push(...r.values);
    else out.push(r);
  }
  return gather(out);
}

export function propStep(name: string): StepFn {
  return (v) => (isObject(v) && Object.hasOwn(v, name) ? v[name] : undefined);
}

/** A field name after a list applies to every element. */
export function mapPropStep(name: string): StepFn {
  const prop = propStep(name);
  return (v) =>
    Array.isArray(v) ? gather(v.map(prop).filter((x) => x !== undefined && x !== null)) : prop(v);
}

export function indexStep(index: number): StepFn {
  return (v) => (Array.isArray(v) ? v[index] : undefined);
}

/** `headers["Content-Type"]`, `avps["Origin-Host"]`: the values (or elements) whose `name` matches. */
export function lookupStep(key: string, caseInsensitive: boolean, valueKey: string | undefined): StepFn {
  const want = caseInsensitive ? key.toLowerCase() : key;
  const matches = (name: unknown): boolean =>
    typeof name === 'string' &&
    name.length === want.length &&
    (caseInsensitive ? name.toLowerCase() === want : name === want);
  return (v) => {
    if (!Array.isArray(v)) return undefined;
    const out: unknown[] = [];
    for (const el of v) {
      if (!isObject(el) || !matches(el.name)) continue;
      const value = valueKey === undefined ? el : el[valueKey];
      if (value !== undefined && value !== null) out.push(value);
    }
    return gather(out);
  };
}

/** Below an `any` field: a quoted key is a property of an object or a name lookup in a list. */
export function dynamicKeyStep(key: string): StepFn {
  const prop = propStep(key);
  const lookup = lookupStep(key, true, 'value');
  return (v) => (Array.isArray(v) ? lookup(v) : prop(v));
}

/** A documented scalar whose value has another type counts as missing (the SQL columns do the same). */
export function scalarOf(
  kind: 'string' | 'number' | 'boolean',
  v: unknown,
): string | number | boolean | undefined {
  if (kind === 'number') return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  return typeof v === kind ? (v as string | boolean) : undefined;
}

/** Runs `test` on each element of a list or Multi (true when one passes), or on a single value. */
export function some(v: unknown, test: (x: unknown) => boolean): boolean {
  if (v === undefined || v === null) return false;
  if (v instanceof Multi) return v.values.some(test);
  if (Array.isArray(v)) return v.some(test);
  return test(v);
}

export function isMany(v: unknown): boolean {
  return v instanceof Multi || Array.isArray(v);
}

/** `f` applied to each value of a Multi (missing results dropped), or to the value itself. */
export function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (!(v instanceof Multi)) return f(v);
  return gather(v.values.map(f).filter((x) => x !== undefined && x !== null));
}
