import { EventEmitter, once } from 'node:events';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  Module,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Public } from '../../src/common/decorators/public.decorator';
import { ResponseMessage } from '../../src/common/decorators/response-message.decorator';
import { DatabaseConnection } from '../../src/infra/database/database.connection';
import { RedisService } from '../../src/infra/redis/redis.service';

/**
 * Test-only routes under /api/v1/probe, mounted with `startTestApp({ imports: [ProbeModule] })`:
 * a validated DTO, a route that throws, one that holds until released, one that logs secrets,
 * and ones that touch PostgreSQL and Redis.
 */
export class ProbeAddressDto {
  @IsString()
  @MinLength(1)
  city!: string;
}

export class ProbeItemDto {
  @IsString()
  @MinLength(1)
  @MaxLength(20)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(150)
  age!: number;

  // ValidateNested alone lets a missing object through; IsObject makes it required.
  @IsObject()
  @ValidateNested()
  @Type(() => ProbeAddressDto)
  address!: ProbeAddressDto;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
}

/** The message the boom route throws: it must reach the logs and never the client. */
export const PROBE_SECRET_ERROR = 'connection to db failed: password=hunter2-not-for-clients';

/** Held requests wait on this gate; tests see them arrive (`held`) and let them go (`release`). */
export class ProbeGate extends EventEmitter {
  inFlight = 0;

  async waitForHeld(): Promise<void> {
    if (this.inFlight === 0) await once(this, 'held');
  }

  release(): void {
    this.emit('release');
  }
}

export const probeGate = new ProbeGate();

@Public()
@Controller('probe')
export class ProbeController {
  private readonly logger = new Logger('Probe');

  constructor(
    private readonly database: DatabaseConnection,
    private readonly redis: RedisService,
  ) {}

  @Get('ok')
  @ResponseMessage('Probe answered')
  ok(): { hello: string } {
    return { hello: 'world' };
  }

  @Get('items/:id')
  item(@Param('id') id: string, @Query('q') q?: string): { id: string; q: string | null } {
    return { id, q: q ?? null };
  }

  @Post('items')
  @HttpCode(201)
  @ResponseMessage('Item accepted')
  create(@Body() body: ProbeItemDto): ProbeItemDto {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error(PROBE_SECRET_ERROR);
  }

  @Get('hold')
  async hold(): Promise<{ released: true }> {
    probeGate.inFlight += 1;
    const released = once(probeGate, 'release');
    probeGate.emit('held');
    try {
      await released;
    } finally {
      probeGate.inFlight -= 1;
    }
    return { released: true };
  }

  @Post('log')
  @HttpCode(200)
  log(@Body() body: Record<string, unknown>): { logged: true } {
    this.logger.log(body, 'probe body');
    return { logged: true };
  }

  @Get('database')
  async databaseCheck(): Promise<{ database: 'up' }> {
    await this.database.ping();
    return { database: 'up' };
  }

  @Get('redis')
  async redisCheck(): Promise<{ value: string | null }> {
    return { value: await this.redis.client.get('probe') };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
