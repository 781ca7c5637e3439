import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import {
  CONVERSATIONS_PAGE_DEFAULT,
  CONVERSATIONS_PAGE_MAX,
  GROUP_NAME_MAX,
  MAX_MEMBER_IDS,
} from '../chat.rules';
import type { ConversationType, MemberRole } from '../chat.types';

/** A field that belongs to one conversation type only: given with the other type, it is a 422. */
function OnlyFor(type: ConversationType, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'onlyFor',
      validator: {
        validate: (value, args) =>
          value === undefined || (args?.object as { type?: unknown }).type === type,
        defaultMessage: (args) => `${args?.property ?? 'field'} is only for ${type} conversations`,
      },
    },
    options,
  );
}

/**
 * `{ type: "direct", userId }` or `{ type: "group", name, memberIds }`. Fields of the other type
 * are refused; which fields a type requires is checked by the service (it serves sockets too).
 */
export class CreateConversationDto {
  @ApiProperty({ enum: ['direct', 'group'] })
  @IsIn(['direct', 'group'], { message: 'type must be direct or group' })
  type!: ConversationType;

  @ApiPropertyOptional({ format: 'uuid', description: 'direct: the other user' })
  @OnlyFor('direct')
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: GROUP_NAME_MAX, description: 'group: its name' })
  @OnlyFor('group')
  @IsOptional()
  @IsString()
  @MaxLength(GROUP_NAME_MAX * 4)
  name?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_MEMBER_IDS, description: 'group: members' })
  @OnlyFor('group')
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MEMBER_IDS)
  @ArrayUnique({ message: 'memberIds must not repeat a user' })
  @IsUUID('all', { each: true, message: 'each memberId must be a UUID' })
  memberIds?: string[];
}

export class UpdateConversationDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: GROUP_NAME_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(GROUP_NAME_MAX * 4)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'avatarMediaId must be a UUID' })
  avatarMediaId?: string | null;
}

export class AddMembersDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_MEMBER_IDS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBER_IDS)
  @ArrayUnique({ message: 'userIds must not repeat a user' })
  @IsUUID('all', { each: true, message: 'each userId must be a UUID' })
  userIds!: string[];
}

export class SetRoleDto {
  @ApiProperty({ enum: ['owner', 'admin', 'member'] })
  @IsIn(['owner', 'admin', 'member'], { message: 'role must be owner, admin or member' })
  role!: MemberRole;
}

/** Query strings arrive as text: only plain digits become a number, anything else fails IsInt. */
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;

export class ListConversationsQueryDto {
  @ApiPropertyOptional({ description: 'page.nextCursor of the previous page, as given' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: CONVERSATIONS_PAGE_MAX,
    default: CONVERSATIONS_PAGE_DEFAULT,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(CONVERSATIONS_PAGE_MAX)
  limit?: number;
}
