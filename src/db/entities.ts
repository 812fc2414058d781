import { ApiKeyEntity } from '../api-keys/entities.js';
import { OAuthClientEntity } from '../clients/entities.js';
import { AutologinTokenEntity } from '../autologin/entities.js';
import { CustomerEntity, CustomerIdentityEntity, CustomerPhoneEntity } from '../customers/entities.js';
import { DeviceGrantEntity, DeviceTokenEntity } from '../devices/entities.js';
import { LoginAttemptEntity } from '../login-attempts/entities.js';
import { UserMetaEntity } from '../user-meta/entities.js';
import { OutboxEventEntity, WebhookDeliveryEntity } from '../webhooks/entities.js';
import { SessionmProfileEntity } from '../sessionm/entities.js';
import { SigningKeyEntity } from '../keys/entities.js';
import { OidcModelEntity, ReplayGuardEntity, RevokedTokenEntity } from '../oidc/entities.js';
import { PasscodeConfigEntity, PasscodeEntity, PasscodeLookupAuditEntity } from '../passcodes/entities.js';
import { TenantAdminEntity, TenantEntity } from '../tenants/entities.js';
import { OtpChallengeEntity } from '../otp/entities.js';
import { DevOutboxMessageEntity } from '../notify/entities.js';
import { UserGroupEntity, UserGroupMemberEntity } from '../groups/entities.js';
import { AddressChangeRequestEntity, AddressEntity } from '../addresses/entities.js';
import { ContactOrganisationEntity, ContactPendingIdentityEntity, OrganisationEntity } from '../contacts/entities.js';
import {
  AccessTokenDefinitionEntity,
  CredentialTokenEntity,
  CredentialTokenLinkEntity,
  CredentialTokenStateChangeEntity,
} from '../access-tokens/entities.js';

/** Every entity schema the ORM knows; each capability module adds its own here. */
export const entities = [OidcModelEntity, RevokedTokenEntity, ReplayGuardEntity, SigningKeyEntity, OAuthClientEntity, CustomerEntity,
  TenantAdminEntity, TenantEntity, PasscodeConfigEntity, PasscodeEntity, PasscodeLookupAuditEntity,
  CustomerPhoneEntity, CustomerIdentityEntity, LoginAttemptEntity, DeviceTokenEntity, DeviceGrantEntity, AutologinTokenEntity,
  UserMetaEntity, OutboxEventEntity, ApiKeyEntity, OtpChallengeEntity, DevOutboxMessageEntity,
  UserGroupEntity, UserGroupMemberEntity, AddressEntity, AddressChangeRequestEntity,
  WebhookDeliveryEntity, SessionmProfileEntity,
  OrganisationEntity, ContactOrganisationEntity, ContactPendingIdentityEntity,
  AccessTokenDefinitionEntity, CredentialTokenEntity, CredentialTokenLinkEntity, CredentialTokenStateChangeEntity];
