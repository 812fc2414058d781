import { z } from 'zod';
import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, rempOk, rempUserShape } from '../../platform/openapi/shapes.js';

export const sessionOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/users/login',
    tags: ['REMP users'],
    summary: 'Log in with e-mail and password; returns a user token',
    body: z.object({ email: z.email(), password: z.string(), source: z.string().optional(), device_token: z.string().optional() }),
    bodyTypes: ['form', 'json', 'multipart'],
    responses: {
      200: { description: 'Signed in', schema: z.object({ status: z.literal('ok'), user: rempUserShape, user_meta: z.record(z.string(), z.string()), access: z.object({ token: z.string() }) }) },
      400: { description: 'Invalid input', schema: rempError },
      401: { description: 'auth_failed', schema: rempError },
      429: { description: 'Too many attempts', schema: rempError },
    },
  },
  {
    method: 'post',
    path: '/api/v1/users/logout',
    tags: ['REMP users'],
    summary: 'Log out: ends the access token’s grant, or every grant paired with a device token',
    security: ['bearer'],
    responses: { 200: { description: 'Logged out', schema: rempOk }, 403: { description: 'Invalid token', schema: rempError } },
  },
  {
    method: 'post',
    path: '/api/v1/users/get-device-token',
    tags: ['REMP users'],
    summary: 'New device token, optionally paired with an access token',
    body: z.object({ device_id: z.string().max(255), access_token: z.string().optional() }),
    bodyTypes: ['form', 'json', 'multipart'],
    responses: { 200: { description: 'Device token', schema: z.object({ device_token: z.string() }) }, 400: { description: 'Invalid input', schema: rempError } },
  },
  {
    method: 'post',
    path: '/api/v1/users/autologin-token-login',
    tags: ['REMP users'],
    summary: 'Exchange an autologin token (with a device token) for a user token',
    body: z.object({ autologin_token: z.string(), device_token: z.string(), source: z.string().optional() }),
    bodyTypes: ['form', 'json', 'multipart'],
    responses: {
      200: { description: 'Signed in', schema: z.object({ status: z.literal('ok'), user: rempUserShape, access: z.object({ token: z.string() }) }) },
      403: { description: 'Invalid token', schema: rempError },
      429: { description: 'Too many attempts', schema: rempError },
    },
  },
];
