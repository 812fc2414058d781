import type { Config } from '../platform/config.js';
import { connectDatabase, openDatabase, ormOptions, type Orm } from '../platform/db/orm.js';
import type { Logger } from '../platform/logger.js';
import { entities } from './entities.js';

/** The platform's database functions with every module's entities (src/modules/entities.ts). */
export const gatehouseOrmOptions = (databaseUrl: string, poolMax?: number, logger?: Logger) => ormOptions(databaseUrl, entities, poolMax, logger);
export const connectGatehouseDatabase = (databaseUrl: string, poolMax: number, logger?: Logger): Promise<Orm> =>
  connectDatabase(databaseUrl, entities, poolMax, logger);
export const openGatehouseDatabase = (config: Config, logger: Logger) => openDatabase(config, entities, logger);
