import type { ApiOperation } from '../../platform/openapi/operation.js';
import { standardErrors } from '../../platform/openapi/shapes.js';
import { WEBHOOK_DELIVERIES_PATH } from './webhook-routes.js';
import { deliveryListQuery, deliveryListView } from '../../identity/events/schemas.js';

export const webhookOperations: ApiOperation[] = [
  {
    method: 'get',
    path: WEBHOOK_DELIVERIES_PATH,
    tags: ['Webhooks'],
    summary: 'List webhook deliveries, newest first: pending (with the next attempt), delivered or failed for good',
    description: 'Needs a user or client-credentials token with the users:admin scope. Receiver URLs are shown without their query string.',
    security: ['bearer'],
    query: deliveryListQuery,
    responses: { 200: { description: 'Deliveries', schema: deliveryListView }, 400: standardErrors[400], 401: standardErrors[401], 403: standardErrors[403] },
  },
];
