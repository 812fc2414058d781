import { z } from 'zod';

// One schema for the process: `z.uuid()` builds a new schema on every call, and these checks run
// on every user-info and token request.
const UUID = z.uuid();

/** Whether a value is a UUID (RFC 9562), checked before it reaches a uuid column (a malformed one would be a 500 there). */
export const isUuid = (value: unknown): value is string => UUID.safeParse(value).success;
