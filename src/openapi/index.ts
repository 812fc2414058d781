import { passcodeOperations } from '../passcodes/openapi.js';
import { tenantOperations } from '../tenants/openapi.js';
import { sessionOperations } from '../users/openapi.js';
import { coreOperations } from './core-operations.js';
import { loginAttemptOperations } from '../login-attempts/openapi.js';
import type { ApiOperation } from './operation.js';
import { apiKeyOperations } from '../api-keys/openapi.js';
import { otpOperations } from '../otp/openapi.js';
import { devOutboxOperations } from '../notify/openapi.js';
import { userOperations } from '../users/users-openapi.js';
import { addressOperations } from '../addresses/openapi.js';
import { groupOperations } from '../groups/openapi.js';
import { userMetaOperations } from '../user-meta/openapi.js';
import { socialOperations } from '../social/openapi.js';
import { sessionmOperations } from '../sessionm/openapi.js';
import { webhookOperations } from '../webhooks/openapi.js';
import { contactOperations } from '../contacts/openapi.js';
import { accessTokenOperations } from '../access-tokens/openapi.js';

/** Every documented operation; a test fails when a route exists that is not listed here. */
export function allOperations(): ApiOperation[] {
  return [...coreOperations, ...loginAttemptOperations, ...sessionOperations, ...otpOperations, ...devOutboxOperations, ...apiKeyOperations,
    ...userOperations, ...addressOperations, ...groupOperations, ...userMetaOperations, ...tenantOperations, ...passcodeOperations,
    ...sessionmOperations, ...webhookOperations,
    ...contactOperations, ...accessTokenOperations,
    ...socialOperations];
}
