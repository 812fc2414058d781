import { loadConfig } from './src/config.js';
import { ormOptions } from './src/db/orm.js';

// For MikroORM tooling pointed at a running database (DATABASE_URL). The app itself builds the
// same options in src/db/orm.ts and applies migrations on start.
const config = loadConfig();

export default ormOptions(config.databaseUrl ?? 'postgres://localhost:5432/gatehouse');
