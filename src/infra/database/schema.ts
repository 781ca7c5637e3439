// Every module's tables, re-exported so Drizzle and drizzle-kit see one schema.
export * from '../../modules/users/users.schema';
