import type Provider from 'oidc-provider';
import { loadSigningKeys, signingKeysVersion, type LoadedKeys } from './keys/service.js';
import type { Logger } from '../platform/logger.js';
import { detachedEntityManager, type Orm } from '../platform/db/orm.js';

/**
 * oidc-provider fixes its keystore at construction. Instances share keys through PostgreSQL, so
 * each one polls the key-set version and builds a fresh provider when `keys:rotate` has changed
 * it. All provider state lives in the database, so swapping instances loses nothing.
 */
export class ProviderHolder {
  private timer?: NodeJS.Timeout;

  private constructor(
    private provider: Provider,
    private loaded: LoadedKeys,
    private readonly build: (keys: LoadedKeys) => Provider,
    private readonly orm: Orm,
    private readonly secret: string,
    private readonly logger: Logger,
  ) {}

  static async create(options: { orm: Orm; secret: string; logger: Logger; build: (keys: LoadedKeys) => Provider }) {
    const keys = await loadSigningKeys(detachedEntityManager(options.orm), options.secret);
    return new ProviderHolder(options.build(keys), keys, options.build, options.orm, options.secret, options.logger);
  }

  private handler?: ReturnType<Provider['callback']>;

  get current(): Provider {
    return this.provider;
  }

  /** The provider's request handler, built once per provider instance. */
  get handle(): ReturnType<Provider['callback']> {
    return (this.handler ??= this.provider.callback());
  }

  get keys(): LoadedKeys {
    return this.loaded;
  }

  async reloadIfKeysChanged(): Promise<boolean> {
    const version = await signingKeysVersion(detachedEntityManager(this.orm));
    if (version === this.loaded.version) return false;
    const keys = await loadSigningKeys(detachedEntityManager(this.orm), this.secret);
    this.provider = this.build(keys);
    this.handler = undefined;
    this.loaded = keys;
    this.logger.info({ kids: keys.publicJwks.keys.map((key) => key.kid) }, 'signing keys reloaded');
    return true;
  }

  startWatching(intervalSeconds: number) {
    this.timer = setInterval(() => {
      this.reloadIfKeysChanged().catch((error) => this.logger.warn({ err: error }, 'signing key reload failed'));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  stopWatching() {
    clearInterval(this.timer);
  }
}
