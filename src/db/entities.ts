import { OAuthClientEntity } from '../clients/entities.js';
import { CustomerEntity } from '../customers/entities.js';
import { SigningKeyEntity } from '../keys/entities.js';
import { OidcModelEntity, RevokedTokenEntity } from '../oidc/entities.js';

/** Every entity schema the ORM knows; each capability module adds its own here. */
export const entities = [OidcModelEntity, RevokedTokenEntity, SigningKeyEntity, OAuthClientEntity, CustomerEntity];
