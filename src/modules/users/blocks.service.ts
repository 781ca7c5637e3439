import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { Page } from '../../common/http/page';
import { BlocksRepository } from './blocks.repository';
import { cursorDate, cursorUuid, decodeCursor, encodeCursor, pageOf } from './pagination';
import { ProfileAssembler } from './profiles';
import { toBlock, type BlockDto } from './users.mapper';
import { notYourself, userNotFound } from './users.errors';
import { UsersRepository } from './users.repository';

const BLOCKS_CURSOR = 'users.blocks';

@Injectable()
export class BlocksService {
  constructor(
    private readonly blocks: BlocksRepository,
    private readonly users: UsersRepository,
    private readonly profiles: ProfileAssembler,
  ) {}

  /**
   * Blocks a user, ending any friendship and pending request between the two in the same
   * transaction. Idempotent: `created` says whether this call made the block.
   */
  async block(callerId: string, targetId: string): Promise<{ created: boolean; block: BlockDto }> {
    if (callerId === targetId) throw notYourself('userId', 'block');
    const target = await this.users.findProfileById(targetId);
    if (!target) throw userNotFound();
    const { created, createdAt } = await this.blocks.block(callerId, targetId);
    return { created, block: toBlock(await this.profiles.one(target), { createdAt }) };
  }

  async unblock(callerId: string, targetId: string): Promise<void> {
    if (!(await this.blocks.unblock(callerId, targetId))) {
      throw new AppException('BLOCK_NOT_FOUND', 'You have not blocked this user');
    }
  }

  async list(callerId: string, page: { cursor?: string; limit: number }): Promise<Page<BlockDto>> {
    const after =
      page.cursor === undefined ? undefined : decodeCursor(BLOCKS_CURSOR, page.cursor, 2);
    const rows = await this.blocks.list(
      callerId,
      page.limit + 1,
      after && { createdAt: cursorDate(after[0]), userId: cursorUuid(after[1]) },
    );
    const { items, nextCursor } = pageOf(rows, page.limit, (last) =>
      encodeCursor(BLOCKS_CURSOR, [last.createdAt.toISOString(), last.profile.id]),
    );
    const profiles = await this.profiles.many(items.map((item) => item.profile));
    return new Page(
      items.map((item, i) => toBlock(profiles[i], item)),
      nextCursor,
    );
  }
}
