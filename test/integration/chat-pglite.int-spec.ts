import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnEntry } from '../support/process';

describe('chat on PGlite (the embedded default)', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps direct conversations unique, sends idempotent and seqs gapless', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'baatcheet-chat-pglite-'));
    const child = spawnEntry('test/support/chat-pglite.cli.ts', {
      env: {
        PGLITE_DATA_DIR: dataDir,
        TEST_REDIS_URL: process.env.TEST_REDIS_URL,
      },
    });
    try {
      const exit = await child.waitForExit(60_000);
      if (exit.code !== 0) throw new Error(`chat on PGlite failed: ${child.stderr()}`);
      const line = child
        .stdout()
        .split('\n')
        .find((text) => text.startsWith('{"direct"'));
      if (!line) throw new Error(`no result printed: ${child.stdout()}`);
      const result = JSON.parse(line) as Record<string, unknown>;
      expect(result).toEqual({
        direct: { ids: 1, created: 1 },
        same: { created: 1, ids: 1 },
        manySeqs: Array.from({ length: 20 }, (_, i) => i + 2),
        historySeqs: Array.from({ length: 21 }, (_, i) => i + 1),
        read: [{ lastReadSeq: 5 }, { lastReadSeq: 5 }],
        reactions: [{ emoji: '👍', count: 1, userIds: [expect.any(String)] }],
        owners: 1,
        unread: 16,
      });
    } finally {
      await child.dispose();
    }
  }, 90_000);
});
