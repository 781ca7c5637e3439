import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

export type JsonSchema = { [key: string]: unknown };

const SWAGGER_PROPERTY = 'swagger/apiModelProperties';

/**
 * A JSON Schema of a DTO class, read from its class-validator metadata: the rules the server
 * really enforces (whitelist: unknown fields are refused), so the document follows the DTO. Only
 * descriptions come from @ApiProperty. A validator this function does not know is a thrown
 * error, not a silently weaker schema.
 */
export function schemaOfClass(type: new () => object): JsonSchema {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const entry of metadata) {
    const list = byProperty.get(entry.propertyName) ?? [];
    list.push(entry);
    byProperty.set(entry.propertyName, list);
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [property, entries] of byProperty) {
    const optional = entries.some((entry) => entry.type === ValidationTypes.CONDITIONAL_VALIDATION);
    if (!optional) required.push(property);
    const schema: JsonSchema = {};
    const items: JsonSchema = {};
    for (const entry of entries) {
      if (entry.type === ValidationTypes.CONDITIONAL_VALIDATION) continue;
      apply(entry.each ? items : schema, entry, `${type.name}.${property}`);
    }
    if (Object.keys(items).length > 0) schema.items = items;
    const description = describe(type, property);
    if (description) schema.description = description;
    properties[property] = schema;
  }
  return {
    type: 'object',
    title: type.name,
    properties,
    required: required.sort(),
    additionalProperties: false,
  };
}

function apply(schema: JsonSchema, entry: ValidationMetadata, where: string): void {
  const constraints = (entry.constraints ?? []) as unknown[];
  switch (entry.name) {
    case 'isString':
      schema.type = 'string';
      return;
    case 'isUuid':
      schema.type = 'string';
      schema.format = 'uuid';
      return;
    case 'isInt':
      schema.type = 'integer';
      return;
    case 'isArray':
      schema.type = 'array';
      return;
    case 'matches':
      schema.type = 'string';
      schema.pattern = (constraints[0] as RegExp).source;
      return;
    case 'maxLength':
      schema.maxLength = constraints[0];
      return;
    case 'minLength':
      schema.minLength = constraints[0];
      return;
    case 'min':
      schema.minimum = constraints[0];
      return;
    case 'max':
      schema.maximum = constraints[0];
      return;
    case 'arrayMaxSize':
      schema.maxItems = constraints[0];
      return;
    case 'arrayMinSize':
      schema.minItems = constraints[0];
      return;
    case 'arrayUnique':
      schema.uniqueItems = true;
      return;
    case 'isIn':
      schema.enum = constraints[0];
      return;
    default:
      throw new Error(`schemaOfClass: no JSON Schema mapping for @${entry.name} (${where})`);
  }
}

function describe(type: new () => object, property: string): string | undefined {
  const options: unknown = Reflect.getMetadata(
    SWAGGER_PROPERTY,
    type.prototype as object,
    property,
  );
  const description = (options as { description?: unknown } | undefined)?.description;
  return typeof description === 'string' ? description : undefined;
}
