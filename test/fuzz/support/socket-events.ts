import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import {
  GATEWAY_METADATA,
  MESSAGE_MAPPING_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { fieldName, hostileString, hugeString } from './hostile';

/**
 * Every client→server event some gateway of the running app subscribes to (`@SubscribeMessage`),
 * read from Nest's own metadata: an event added later is fuzzed without a change here.
 */
export function subscribedEvents(app: INestApplication): string[] {
  const events = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.providers.values()) {
      const type = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (typeof type !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, type)) continue;
      const prototype = type.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (typeof handler !== 'function') continue;
        if (Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler)) {
          events.add(String(Reflect.getMetadata(MESSAGE_METADATA, handler)));
        }
      }
    }
  }
  return [...events].sort();
}

export interface PayloadField {
  name: string;
  /** `@IsOptional()`: the payload is valid without it. */
  optional: boolean;
}

/** The validated properties of a payload class (class-validator metadata), inherited ones too. */
export function payloadFields(type: unknown): PayloadField[] {
  if (typeof type !== 'function') return [];
  const fields = new Map<string, PayloadField>();
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  for (const meta of metadata) {
    const field = fields.get(meta.propertyName) ?? { name: meta.propertyName, optional: false };
    if (meta.type === 'conditionalValidation') field.optional = true;
    fields.set(meta.propertyName, field);
  }
  return [...fields.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Any JS value a client could emit, hostile leaves and binary included. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.double(),
        fc.integer(),
        fc.constantFrom(-0, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, -1, 1.5, 1e308),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(true, false, null, undefined) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fieldName, tie('value')), { maxLength: 4 })
        .map((entries) => ownObject(entries)),
    },
  ),
})).value;

/** An object whose keys are own properties, `__proto__` included (as JSON.parse would make them). */
export function ownObject(
  entries: readonly (readonly [string, unknown])[],
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/** Nesting past the payload depth limit. */
export const deepValue: fc.Arbitrary<unknown> = fc.constantFrom(7, 9, 50, 500).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
});

export { hugeString };
