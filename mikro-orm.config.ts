import { loadConfig } from './src/platform/config.js';
import { gatehouseOrmOptions as ormOptions } from './src/modules/database.js';

// For MikroORM tooling pointed at a running database (DATABASE_URL). The app itself builds the
// same options in src/platform/db/orm.ts and applies migrations on start.
const config = loadConfig();

export default ormOptions(config.databaseUrl ?? 'postgres://localhost:5432/gatehouse');
