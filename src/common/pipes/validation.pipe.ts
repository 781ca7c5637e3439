import { ValidationPipe } from '@nestjs/common';
import { AppException } from '../errors/app.exception';
import { flattenValidationErrors } from '../validation/hostile-input';

/** Whitelisting, unknown fields refused, payloads transformed into DTO classes; 422 with per-field details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new AppException(
        'VALIDATION_FAILED',
        'Validation failed',
        flattenValidationErrors(errors).slice(0, 50),
      ),
  });
}
