// Every module's tables, re-exported so Drizzle and drizzle-kit see one schema.
export * from '../../modules/users/users.schema';
export * from '../../modules/users/friends.schema';
export * from '../../modules/users/blocks.schema';
export * from '../../modules/chat/chat.schema';
export * from '../../modules/media/media.schema';
