import { loadConfig } from '/work/main/src/config.ts';
import { createLogger } from '/work/main/src/logger.ts';
console.error('a');
const config = loadConfig();
console.error('b');
const logger = createLogger('warn');
console.error('c');
const { openDatabase } = await import('/work/main/src/server.ts');
console.error('d');
try { await openDatabase(config, logger); } catch (e) { console.error('err', (e as Error).message); }
console.error('e');
