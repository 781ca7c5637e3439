import { createHttpApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/load-config';
import { ConversationsService } from '../../src/modules/chat/conversations.service';
import { MembersService } from '../../src/modules/chat/members.service';
import { MessagesService } from '../../src/modules/chat/messages.service';
import { ReactionsService } from '../../src/modules/chat/reactions.service';
import { ReceiptsService } from '../../src/modules/chat/receipts.service';
import { UsersService } from '../../src/modules/users/users.service';
import { testEnv } from './app';
import { deleteKeysUnder, rawRedis } from './redis';

/**
 * Runs the chat services' tricky paths on PGlite (the embedded default) and prints what happened
 * as one JSON line: the direct-conversation race, idempotent and concurrent sends, history,
 * receipts, reactions and an ownership hand-over. A child process because PGlite loads its
 * WebAssembly with a dynamic import(), which Jest's CommonJS sandbox refuses.
 */
async function main(): Promise<void> {
  const dataDir = process.env.PGLITE_DATA_DIR;
  if (!dataDir) throw new Error('PGLITE_DATA_DIR is required');
  const config = loadConfig(
    testEnv({ DATABASE_URL: undefined, PGLITE_DATA_DIR: dataDir, WORKERS: 'off' }),
  );
  const app = await createHttpApp(config);
  await app.init();
  try {
    const users = app.get(UsersService);
    const conversations = app.get(ConversationsService);
    const messages = app.get(MessagesService);
    const receipts = app.get(ReceiptsService);
    const reactions = app.get(ReactionsService);
    const members = app.get(MembersService);
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        users.createAccount({
          username: `pglite_${name}_${process.pid}`,
          email: `${name}.${process.pid}@example.com`,
          passwordHash: 'not-a-real-hash',
        }),
      ),
    );

    const direct = await Promise.all([
      conversations.openDirect(a.id, b.id),
      conversations.openDirect(b.id, a.id),
      conversations.openDirect(a.id, b.id),
    ]);

    const group = await conversations.createGroup(a.id, {
      name: 'pglite',
      memberIds: [b.id, c.id],
    });
    const same = await Promise.all(
      Array.from({ length: 10 }, () =>
        messages.send(b.id, { conversationId: group.id, clientMessageId: 'same', body: 'once' }),
      ),
    );
    const senders = [a, b];
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        messages.send(senders[i % 2].id, {
          conversationId: group.id,
          clientMessageId: `many-${i}`,
          body: `message ${i}`,
        }),
      ),
    );
    const history = await messages.history(c.id, group.id, { after: '0', limit: '100' });
    const read = [
      await receipts.markRead(c.id, group.id, 5),
      await receipts.markRead(c.id, group.id, 2),
    ];
    const reacted = await reactions.set(c.id, group.id, same[0].message.id, '👍', true);
    await members.remove(a.id, group.id, a.id);
    const afterLeave = await conversations.get(b.id, group.id);
    const list = await conversations.list(c.id, {});

    process.stdout.write(
      `${JSON.stringify({
        direct: {
          ids: [...new Set(direct.map((d) => d.conversation.id))].length,
          created: direct.filter((d) => d.created).length,
        },
        same: {
          created: same.filter((s) => s.created).length,
          ids: [...new Set(same.map((s) => s.message.id))].length,
        },
        manySeqs: many.map((m) => m.message.seq).sort((x, y) => x - y),
        historySeqs: history.items.map((m) => m.seq),
        read,
        reactions: reacted.reactions,
        owners: afterLeave.members.filter((m) => m.role === 'owner').length,
        unread: list.items.find((item) => item.id === group.id)?.unreadCount,
      })}\n`,
    );
  } finally {
    await app.close();
    const redis = rawRedis();
    await deleteKeysUnder(redis, config.redis.keyPrefix);
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
