import { ApiKeyEntity } from '../identity/api-keys/entities.js';
import { OAuthClientEntity } from '../oauth/clients/entities.js';
import { AutologinTokenEntity } from '../identity/credentials/autologin/entities.js';
import { CustomerEntity, CustomerIdentityEntity, CustomerPhoneEntity } from '../identity/customers/entities.js';
import { DeviceGrantEntity, DeviceTokenEntity } from '../identity/credentials/devices/entities.js';
import { LoginAttemptEntity } from '../identity/login-attempts/entities.js';
import { UserMetaEntity } from '../identity/customers/meta/entities.js';
import { OutboxEventEntity, WebhookDeliveryEntity } from '../identity/events/entities.js';
import { SessionmProfileEntity } from '../identity/customers/sessionm/entities.js';
import { SigningKeyEntity } from '../oauth/keys/entities.js';
import { OidcModelEntity, ReplayGuardEntity, RevokedTokenEntity } from '../oauth/entities.js';
import { PasscodeConfigEntity, PasscodeEntity, PasscodeLookupAuditEntity } from '../identity/passcodes/entities.js';
import { TenantAdminEntity, TenantEntity } from '../identity/tenants/entities.js';
import { OtpChallengeEntity } from '../identity/credentials/otp/entities.js';
import { DevOutboxMessageEntity } from '../platform/notify/entities.js';
import { UserGroupEntity, UserGroupMemberEntity } from '../identity/customers/groups/entities.js';
import { AddressChangeRequestEntity, AddressEntity } from '../identity/customers/addresses/entities.js';
import { ContactOrganisationEntity, ContactPendingIdentityEntity, OrganisationEntity } from '../identity/contacts/entities.js';
import {
  AccessTokenDefinitionEntity,
  CredentialTokenEntity,
  CredentialTokenLinkEntity,
  CredentialTokenStateChangeEntity,
} from '../identity/credentials/credential-tokens/entities.js';

/** Every entity schema the ORM knows; each capability module adds its own here. */
export const entities = [
  OidcModelEntity,
  RevokedTokenEntity,
  ReplayGuardEntity,
  SigningKeyEntity,
  OAuthClientEntity,
  CustomerEntity,
  TenantAdminEntity,
  TenantEntity,
  PasscodeConfigEntity,
  PasscodeEntity,
  PasscodeLookupAuditEntity,
  CustomerPhoneEntity,
  CustomerIdentityEntity,
  LoginAttemptEntity,
  DeviceTokenEntity,
  DeviceGrantEntity,
  AutologinTokenEntity,
  UserMetaEntity,
  OutboxEventEntity,
  ApiKeyEntity,
  OtpChallengeEntity,
  DevOutboxMessageEntity,
  UserGroupEntity,
  UserGroupMemberEntity,
  AddressEntity,
  AddressChangeRequestEntity,
  WebhookDeliveryEntity,
  SessionmProfileEntity,
  OrganisationEntity,
  ContactOrganisationEntity,
  ContactPendingIdentityEntity,
  AccessTokenDefinitionEntity,
  CredentialTokenEntity,
  CredentialTokenLinkEntity,
  CredentialTokenStateChangeEntity,
];
