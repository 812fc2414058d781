import { z } from 'zod';
import type { ApiOperation } from '../../platform/openapi/operation.js';
import { standardErrors } from '../../platform/openapi/shapes.js';
import { loginAttemptsQuery, loginAttemptView } from './login-attempt-routes.js';

export const loginAttemptOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/admin/login-attempts',
    tags: ['Admin'],
    summary: 'Credential checks (password, OTP, tokens, social), newest first',
    security: ['bearer'],
    query: loginAttemptsQuery,
    responses: {
      200: { description: 'Attempts', schema: z.object({ status: z.literal('ok'), login_attempts: z.array(loginAttemptView) }) },
      400: standardErrors[400],
      401: standardErrors[401],
      403: standardErrors[403],
    },
  },
];
