import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { DependencyHealth } from './dependency.health';

@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyHealth,
  ) {}

  @Get('live')
  @Header('Cache-Control', 'no-store')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  async ready(): Promise<{ status: string; checks: Record<string, unknown> }> {
    try {
      const result = await this.health.check([
        this.dependencies.database$,
        this.dependencies.redis$,
      ]);
      return { status: result.status, checks: result.info ?? {} };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const body = error.getResponse() as { error?: Record<string, { message?: string }> };
      const details = Object.entries(body.error ?? {}).map(([field, value]) => ({
        field,
        message: value.message ?? 'down',
      }));
      throw new AppException('DEPENDENCY_UNAVAILABLE', 'Not ready: a dependency is down', details);
    }
  }
}
