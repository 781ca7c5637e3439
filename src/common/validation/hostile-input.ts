import type { ValidationError } from 'class-validator';
import type { ErrorDetail } from '../errors/app.exception';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A UTF-16 surrogate without its pair: no Unicode character, and not encodable as UTF-8. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_FINDINGS = 10;

/**
 * `__proto__` / `constructor` / `prototype` keys, nesting deeper than `maxDepth` and strings with
 * unpaired surrogates (JSON's `"\ud800"`), as per-field details. Payloads are refused on these
 * before anything copies or transforms them, so no later merge can pollute a prototype, and no
 * validator or encoder meets text that is not Unicode (validator's isEmail throws a URIError on it).
 * `root` names the whole payload in a detail.
 */
export function findHostileKeys(value: unknown, maxDepth: number, root: string): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const visit = (node: unknown, path: string, depth: number): void => {
    if (found.length >= MAX_FINDINGS) return;
    if (typeof node === 'string') {
      if (UNPAIRED_SURROGATE.test(node)) {
        found.push({
          field: path || root,
          message: 'text with an unpaired surrogate is not allowed',
        });
      }
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (depth > maxDepth) {
      found.push({ field: path || root, message: `nesting deeper than ${maxDepth} levels` });
      return;
    }
    for (const key of Object.keys(node)) {
      const childPath = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key))
        found.push({ field: childPath, message: 'this key is not allowed' });
      else visit((node as Record<string, unknown>)[key], childPath, depth + 1);
    }
  };
  visit(value, '', 0);
  return found;
}

/** class-validator's nested errors as flat `{ field: 'a.b', message }` details. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}
