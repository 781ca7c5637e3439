import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { IsString, IsUUID, MaxLength, MinLength, validateSync } from 'class-validator';
import { AppException } from '../../common/errors/app.exception';
import { findHostileKeys, flattenValidationErrors } from '../../common/validation/hostile-input';
import { MarkReadDto, SendMessageDto } from './dto/messages.dto';

/** A client→server event payload bigger than this is refused with PAYLOAD_TOO_LARGE (serialised JSON). */
export const WS_MAX_PAYLOAD_BYTES = 16 * 1024;
const MAX_DEPTH = 8;

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
  const hostile = findHostileKeys(raw, MAX_DEPTH, '(payload)');
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
    throw new AppException(
      'VALIDATION_FAILED',
      'Validation failed',
      flattenValidationErrors(errors).slice(0, 50),
    );
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
