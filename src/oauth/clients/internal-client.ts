/** Gatehouse's own first-party client: tokens its REST sign-ins and tenant logins issue belong to it. */
export const INTERNAL_CLIENT_ID = 'gatehouse';
