import { plainToInstance, type ClassConstructor } from 'class-transformer';
import {
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { AppException, type ErrorDetail } from '../../common/errors/app.exception';
import { MarkReadDto, SendMessageDto } from './dto/messages.dto';

/** A client→server event payload bigger than this is refused with PAYLOAD_TOO_LARGE (serialised JSON). */
export const WS_MAX_PAYLOAD_BYTES = 16 * 1024;
const MAX_DEPTH = 8;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `message:send`: the REST body of POST /conversations/:id/messages (same rules) plus the conversation. */
export class SendMessagePayload extends SendMessageDto {
  @IsUUID('all', { message: 'conversationId must be a UUID' })
  conversationId!: string;
}

/** `message:read`: the REST body of POST /conversations/:id/read plus the conversation. */
export class ReadPayload extends MarkReadDto {
  @IsUUID('all', { message: 'conversationId must be a UUID' })
  conversationId!: string;
}

/** `typing:start`, `typing:stop` */
export class TypingPayload {
  @IsUUID('all', { message: 'conversationId must be a UUID' })
  conversationId!: string;
}

/** `auth:refresh` */
export class RefreshPayload {
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token!: string;
}

/**
 * Turns whatever a client sent into a validated payload object, or throws the same
 * VALIDATION_FAILED / PAYLOAD_TOO_LARGE the HTTP side would. Nothing the client sends can make
 * this throw anything else: non-objects, arrays, binary, cycles-free huge or deep values and
 * prototype keys are all refused before class-transformer copies a single property.
 */
export function parsePayload<T extends object>(type: ClassConstructor<T>, raw: unknown): T {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !isPlainObject(raw)) {
    throw new AppException('VALIDATION_FAILED', 'Validation failed', [
      { field: '(payload)', message: 'the payload must be a JSON object' },
    ]);
  }
  const hostile: ErrorDetail[] = [];
  findHostileKeys(raw, '', 0, hostile);
  if (hostile.length > 0) throw new AppException('VALIDATION_FAILED', 'Validation failed', hostile);
  if (sizeOf(raw) > WS_MAX_PAYLOAD_BYTES) {
    throw new AppException(
      'PAYLOAD_TOO_LARGE',
      `The payload is larger than ${WS_MAX_PAYLOAD_BYTES} bytes`,
    );
  }
  const instance = plainToInstance(type, raw, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new AppException('VALIDATION_FAILED', 'Validation failed', flatten(errors).slice(0, 50));
  }
  return instance;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function sizeOf(value: object): number {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY; // BigInt or anything else JSON cannot carry
  }
}

function findHostileKeys(value: unknown, path: string, depth: number, found: ErrorDetail[]): void {
  if (found.length >= 10 || value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) {
    found.push({ field: path || '(payload)', message: `nesting deeper than ${MAX_DEPTH} levels` });
    return;
  }
  for (const key of Object.keys(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) {
      found.push({ field: childPath, message: 'this key is not allowed' });
      continue;
    }
    findHostileKeys((value as Record<string, unknown>)[key], childPath, depth + 1, found);
  }
}

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
