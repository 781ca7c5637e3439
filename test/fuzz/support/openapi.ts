import fc from 'fast-check';
import {
  cookieValue,
  deepJson,
  fieldName,
  foreignContentType,
  headerText,
  hostilePathSegment,
  hostileString,
  hugeString,
  invalidUtf8,
  jsonScalarOrArray,
  malformedJson,
  objectText,
  rawJsonValue,
  rawNumberLiteral,
  toWellFormed,
} from './hostile';

/** The subset of OpenAPI 3 the app's document uses. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  /** e.g. `POST /api/v1/conversations/{id}/messages` */
  name: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: Schema;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Every operation of the document, with `$ref`s resolved. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const schemas = document.components?.schemas ?? {};
  const resolve = (schema: Schema | undefined): Schema | undefined => {
    if (!schema?.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = schemas[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return resolve(target);
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const parameters = operation.parameters ?? [];
      const body = operation.requestBody as
        { content?: Record<string, { schema?: Schema }> } | undefined;
      operations.push({
        name: `${method.toUpperCase()} ${path}`,
        method: method as Operation['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query'),
        body: resolve(body?.content?.['application/json']?.schema),
      });
    }
  }
  return operations;
}

/** Ids of real rows the fuzzer may aim at, so generated requests get past "not found". */
export interface KnownIds {
  uuids: string[];
  emails: string[];
}

/** Values that satisfy `schema` (as far as the document says), as raw JSON text. */
export function validValue(schema: Schema, known: KnownIds, field = ''): fc.Arbitrary<string> {
  if (schema.enum && schema.enum.length > 0)
    return fc.constantFrom(...schema.enum).map((v) => JSON.stringify(v));
  if (schema.format === 'uuid') {
    const id = fc.oneof(fc.uuid(), fc.constantFrom(...known.uuids));
    const json = id.map((v) => JSON.stringify(v));
    return schema.nullable ? fc.oneof(json, fc.constant('null')) : json;
  }
  switch (schema.type) {
    case 'string': {
      if (schema.pattern) {
        return fc.stringMatching(new RegExp(schema.pattern)).map((v) => JSON.stringify(v));
      }
      if (/email/i.test(field)) {
        return fc
          .oneof(fc.emailAddress(), fc.constantFrom(...known.emails))
          .map((v) => JSON.stringify(v));
      }
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 64, minLength + 64);
      return fc.string({ unit: 'grapheme', minLength, maxLength }).map((v) => JSON.stringify(v));
    }
    case 'number':
    case 'integer':
      return fc
        .integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000_000 })
        .map(String);
    case 'boolean':
      return fc.boolean().map(String);
    case 'array': {
      const items = schema.items ? itemSchema(schema.items, field) : { type: 'string' };
      const minLength = schema.minItems ?? 0;
      return fc
        .array(validValue(items, known, field), {
          minLength,
          maxLength: Math.min(schema.maxItems ?? 4, minLength + 4),
        })
        .map((values) => `[${values.join(',')}]`);
    }
    case 'object':
    default:
      if (schema.properties) return validObject(schema, known).map(objectText);
      return schema.nullable ? fc.constant('null') : rawJsonValue;
  }
}

/** Arrays of ids are documented as `string[]`; their items are UUIDs. */
function itemSchema(items: Schema, field: string): Schema {
  return items.type === 'string' && /Ids$/.test(field) ? { type: 'string', format: 'uuid' } : items;
}

/** A valid object as [key, raw value] entries: every required field, any optional ones. */
export function validObject(
  schema: Schema,
  known: KnownIds,
): fc.Arbitrary<(readonly [string, string])[]> {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  if (properties.length === 0) return fc.constant([]);
  return fc
    .tuple(
      ...properties.map(([name, property]) =>
        fc
          .tuple(
            required.has(name) ? fc.constant(true) : fc.boolean(),
            validValue(property, known, name),
          )
          .map(([present, value]) => (present ? ([name, value] as const) : undefined)),
      ),
    )
    .map((entries) => entries.filter((entry) => entry !== undefined));
}

/** What one generated request is. */
export interface FuzzRequest {
  auth:
    'none' | 'bearer' | 'bearer-garbage' | 'cookie' | 'cookie-foreign-origin' | 'cookie-garbage';
  /** The Authorization scheme with a garbage token ("Bearer", "Basic", ...). */
  garbageScheme: string;
  /** access_token and refresh_token cookie values for `cookie-garbage`. */
  garbageCookies: [string, string];
  garbageToken: string;
  pathValues: string[];
  /** Raw, already-encoded query string (without `?`), or '' */
  query: string;
  body: FuzzBody;
  bearerTransportHeader: boolean;
  requestId?: string;
  /** How it was mutated, for the failure message and the summary. */
  mutation: string;
}

export type FuzzBody =
  | { kind: 'none' }
  | { kind: 'json'; text: string; contentType: string }
  | { kind: 'bytes'; bytes: Buffer; contentType: string }
  | { kind: 'foreign'; text: string; contentType: string };

type Entries = (readonly [string, string])[];

function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Characters slipped into otherwise valid text: NUL, unpaired surrogates, bidi and zero-width marks. */
const INJECTED_CHARACTERS = ['\u0000', '\uD800', '\uDC00', '\u202E', '\u0301', '\uFEFF', '\u200D'];

/** Mutations of a valid body's entries: one field wrong, required gone, extras, hostile keys. */
function mutateEntries(schema: Schema): fc.Arbitrary<(entries: Entries) => [Entries, string]> {
  const names = Object.keys(schema.properties ?? {});
  const anyName = names.length > 0 ? fc.constantFrom(...names) : fieldName;
  return fc.oneof(
    fc.constant((entries: Entries): [Entries, string] => [entries, 'valid']),
    fc
      .tuple(anyName, rawJsonValue)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries.filter(([key]) => key !== name), [name, value]],
        `wrong value for ${name}`,
      ]),
    fc
      .tuple(anyName, rawNumberLiteral)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries.filter(([key]) => key !== name), [name, value]],
        `number for ${name}`,
      ]),
    fc
      .tuple(anyName, hugeString)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries.filter(([key]) => key !== name), [name, JSON.stringify(value)]],
        `huge ${name} (${Buffer.byteLength(value)} bytes)`,
      ]),
    fc
      .tuple(anyName, deepJson)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries.filter(([key]) => key !== name), [name, value]],
        `deep ${name}`,
      ]),
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...INJECTED_CHARACTERS), fc.nat(), fc.nat())
        .map(([char, which, at]) => (entries: Entries): [Entries, string] => {
          const texts = entries
            .map(([, raw], index) => [index, parsed(raw)] as const)
            .filter((entry): entry is readonly [number, string] => typeof entry[1] === 'string');
          if (texts.length === 0) return [entries, 'valid'];
          const [index, value] = texts[which % texts.length];
          const position = at % (value.length + 1);
          const next = `${value.slice(0, position)}${char}${value.slice(position)}`;
          const copy = [...entries];
          copy[index] = [entries[index][0], JSON.stringify(next)];
          return [copy, `${JSON.stringify(char)} inside ${entries[index][0]}`];
        }),
    },
    anyName.map((name) => (entries: Entries): [Entries, string] => [
      entries.filter(([key]) => key !== name),
      `without ${name}`,
    ]),
    fc
      .tuple(fieldName, rawJsonValue)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries, [name, value]],
        `extra field ${JSON.stringify(name)}`,
      ]),
    fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), anyName, fc.boolean())
      .map(([key, name, nested]) => (entries: Entries): [Entries, string] => [
        nested
          ? [...entries.filter(([k]) => k !== name), [name, `{"${key}":{"isAdmin":true}}`]]
          : [[key, '{"isAdmin":true,"polluted":1}'], ...entries],
        `${key} key${nested ? ` inside ${name}` : ''}`,
      ]),
    fc
      .tuple(anyName, rawJsonValue)
      .map(([name, value]) => (entries: Entries): [Entries, string] => [
        [...entries, [name, value]],
        `duplicate key ${name}`,
      ]),
  );
}

/** The body: mostly a (mutated) schema-shaped object, otherwise one of the hostile encodings. */
function bodyArbitrary(operation: Operation, known: KnownIds): fc.Arbitrary<[FuzzBody, string]> {
  const json = 'application/json';
  const schema = operation.body ?? { type: 'object', properties: {} };
  const shaped = fc
    .tuple(
      validObject(schema, known),
      fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 3, arbitrary: fc.array(mutateEntries(schema), { minLength: 1, maxLength: 3 }) },
      ),
    )
    .map(([entries, mutations]): [FuzzBody, string] => {
      let current: Entries = entries;
      const labels: string[] = [];
      for (const mutate of mutations) {
        const [next, label] = mutate(current);
        current = next;
        if (label !== 'valid') labels.push(label);
      }
      return [
        { kind: 'json', text: objectText(current), contentType: json },
        labels.length ? labels.join(', ') : 'valid body',
      ];
    });
  return fc.oneof(
    { weight: operation.body ? 8 : 2, arbitrary: shaped },
    {
      weight: operation.body ? 1 : 3,
      arbitrary: fc.constant<[FuzzBody, string]>([{ kind: 'none' }, 'no body']),
    },
    {
      weight: 1,
      arbitrary: malformedJson.map((text): [FuzzBody, string] => [
        { kind: 'json', text, contentType: json },
        'malformed JSON',
      ]),
    },
    {
      weight: 1,
      arbitrary: jsonScalarOrArray.map((text): [FuzzBody, string] => [
        { kind: 'json', text, contentType: json },
        'JSON scalar or array',
      ]),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          foreignContentType,
          fc.oneof(
            shaped.map(([b]) => (b.kind === 'json' ? b.text : '')),
            fc.constant('a=1&b=2'),
          ),
        )
        .map(([contentType, text]): [FuzzBody, string] => [
          { kind: 'foreign', text, contentType },
          `content type ${contentType}`,
        ]),
    },
    {
      weight: 1,
      arbitrary: invalidUtf8.map((bytes): [FuzzBody, string] => [
        { kind: 'bytes', bytes, contentType: json },
        'invalid UTF-8',
      ]),
    },
  );
}

function pathValueArbitrary(parameter: Parameter, known: KnownIds): fc.Arbitrary<string> {
  const real =
    parameter.name === 'emoji'
      ? fc.constantFrom('👍', '❤️', '👩‍👩‍👧‍👦', 'a', '🇮🇳').map(encodeURIComponent)
      : fc.oneof(fc.constantFrom(...known.uuids), fc.uuid());
  return fc.oneof({ weight: 1, arbitrary: real }, { weight: 1, arbitrary: hostilePathSegment });
}

function queryArbitrary(operation: Operation, known: KnownIds): fc.Arbitrary<[string, string]> {
  const pair = (name: string, value: string): string =>
    `${encodeURIComponent(toWellFormed(name))}=${encodeURIComponent(toWellFormed(value))}`;
  const declared = operation.queryParams.map((parameter) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant<string[]>([]) },
      {
        weight: 2,
        arbitrary: validValue(parameter.schema ?? { type: 'string' }, known, parameter.name).map(
          (raw) => {
            const value: unknown = JSON.parse(raw);
            return [pair(parameter.name, typeof value === 'string' ? value : String(value))];
          },
        ),
      },
      fc.oneof(hostileString, rawNumberLiteral).map((value) => [pair(parameter.name, value)]),
      validValue(parameter.schema ?? { type: 'string' }, known, parameter.name).map((raw) => {
        const value: unknown = JSON.parse(raw);
        return [pair(parameter.name, `${typeof value === 'string' ? value : String(value)}\u0000`)];
      }),
      fc
        .tuple(hostileString, hostileString)
        .map(([a, b]) => [pair(parameter.name, a), pair(parameter.name, b)]),
      fc.constantFrom(
        [`${parameter.name}[]=1`],
        [`${parameter.name}[a]=1`],
        [`${parameter.name}`],
        [`${parameter.name}=%`],
        [`${parameter.name}=%E0%A4%A`],
        [`${parameter.name}=%00`],
      ),
    ),
  );
  const extras = fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    {
      weight: 1,
      arbitrary: fc.array(
        fc.tuple(fieldName, hostileString).map(([name, value]) => pair(name, value)),
        { minLength: 1, maxLength: 2 },
      ),
    },
  );
  return fc.tuple(fc.tuple(...declared), extras).map(([parts, extra]) => {
    const all = [...parts.flat(), ...extra];
    const label = [
      parts.some((p) => p.length > 1) ? 'duplicate query param' : '',
      extra.length ? 'extra query params' : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [all.join('&'), label];
  });
}

/** Whole requests for one operation. */
export function requestArbitrary(operation: Operation, known: KnownIds): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      auth: fc.constantFrom<FuzzRequest['auth']>(
        'none',
        'bearer',
        'bearer',
        'bearer-garbage',
        'cookie',
        'cookie-foreign-origin',
        'cookie-garbage',
      ),
      garbageScheme: fc.constantFrom('Bearer ', 'Bearer  ', 'bearer ', 'Basic ', '', 'Bearer\t'),
      garbageToken: headerText,
      garbageCookies: fc.tuple(cookieValue, cookieValue),
      pathValues: fc.tuple(...operation.pathParams.map((p) => pathValueArbitrary(p, known))),
      query: queryArbitrary(operation, known),
      body: bodyArbitrary(operation, known),
      bearerTransportHeader: fc.boolean(),
      requestId: fc.option(headerText, { nil: undefined }),
    })
    .map(({ query, body, ...rest }) => ({
      ...rest,
      query: query[0],
      body: body[0],
      mutation: [body[1], query[1]].filter(Boolean).join('; '),
    }));
}

/** The request path with its parameters filled in (values are already URL-encoded). */
export function concretePath(operation: Operation, request: FuzzRequest): string {
  let index = 0;
  const path = operation.path.replace(/\{[^}]+\}/g, () => request.pathValues[index++] ?? '');
  return request.query ? `${path}?${request.query}` : path;
}
