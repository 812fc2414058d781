import { passcodeOperations } from '../api/passcodes/passcode-openapi.js';
import { tenantOperations } from '../api/passcodes/tenant-openapi.js';
import { sessionOperations } from '../api/remp/user-openapi.js';
import { coreOperations } from '../platform/openapi/core-operations.js';
import { loginAttemptOperations } from '../api/admin/login-attempt-openapi.js';
import type { ApiOperation } from '../platform/openapi/operation.js';
import { apiKeyOperations } from '../api/admin/api-key-openapi.js';
import { otpOperations } from '../api/remp/otp-openapi.js';
import { devOutboxOperations } from '../api/dev/outbox-openapi.js';
import { userOperations } from '../api/remp/users-openapi.js';
import { addressOperations } from '../api/remp/address-openapi.js';
import { groupOperations } from '../api/remp/group-openapi.js';
import { userMetaOperations } from '../api/remp/user-meta-openapi.js';
import { socialOperations } from '../api/remp/social-openapi.js';
import { sessionmOperations } from '../api/sessionm/openapi.js';
import { webhookOperations } from '../api/admin/webhook-openapi.js';
import { contactOperations } from '../api/crm/contact-openapi.js';
import { accessTokenOperations } from '../api/crm/credential-token-openapi.js';

/** Every documented operation; a test fails when a route exists that is not listed here. */
export function allOperations(): ApiOperation[] {
  return [...coreOperations, ...loginAttemptOperations, ...sessionOperations, ...otpOperations, ...devOutboxOperations, ...apiKeyOperations,
    ...userOperations, ...addressOperations, ...groupOperations, ...userMetaOperations, ...tenantOperations, ...passcodeOperations,
    ...sessionmOperations, ...webhookOperations,
    ...contactOperations, ...accessTokenOperations,
    ...socialOperations];
}
