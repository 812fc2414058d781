import type { ApiOperation } from '../../platform/openapi/operation.js';
import { devOutboxQuery, devOutboxView } from '../../platform/notify/schemas.js';

export const devOutboxOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/dev/outbox',
    tags: ['Development'],
    summary: 'Messages kept by the development outbox (no SMS/SMTP provider configured), newest first',
    description: 'Does not exist when NODE_ENV=production.',
    query: devOutboxQuery,
    responses: { 200: { description: 'Kept messages, codes included', schema: devOutboxView } },
  },
];
