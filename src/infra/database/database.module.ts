import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DatabaseConnection } from './database.connection';
import { DATABASE } from './database.types';

@Global()
@Module({
  providers: [
    {
      provide: DatabaseConnection,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<DatabaseConnection> => {
        const connection = await DatabaseConnection.open(config.database);
        if (config.database.migrateOnStart) {
          await connection.migrate();
          new Logger('Database').log(`migrations applied (${connection.kind})`);
        }
        return connection;
      },
    },
    {
      provide: DATABASE,
      inject: [DatabaseConnection],
      useFactory: (connection: DatabaseConnection) => connection.db,
    },
  ],
  exports: [DatabaseConnection, DATABASE],
})
export class DatabaseModule {}
