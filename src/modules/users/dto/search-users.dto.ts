import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { PageQueryDto } from './page-query.dto';

export class SearchUsersQueryDto extends PageQueryDto {
  @ApiProperty({
    description: 'Username prefix, case-insensitive; %, _ and \\ match themselves',
    minLength: 1,
    maxLength: 30,
  })
  @IsString()
  @Length(1, 30, { message: 'q must be 1–30 characters' })
  q!: string;
}
