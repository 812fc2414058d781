import type { z } from 'zod';

/** Paths of fields present in `sent` that parsing against the schema dropped: fields the schema does not declare. */
function undeclaredFields(sent: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(sent)) {
    return Array.isArray(parsed) ? sent.flatMap((item, index) => undeclaredFields(item, parsed[index], `${path}[${index}]`)) : [];
  }
  if (sent === null || typeof sent !== 'object' || parsed === null || typeof parsed !== 'object') return [];
  return Object.entries(sent).flatMap(([key, value]) =>
    key in parsed ? undeclaredFields(value, (parsed as Record<string, unknown>)[key], `${path}.${key}`) : [`${path}.${key}`],
  );
}

/**
 * Why `body` breaks the declared response schema, or undefined when it does not. Stricter than
 * `schema.parse`, which silently strips unknown keys: a field the schema does not name (a hash, a
 * secret, a row's internals) is a violation, so it cannot reach a client unnoticed. `.loose()`
 * objects and records keep their extra keys when parsed and so allow them, as declared.
 */
export function contractViolation(schema: z.ZodType, body: unknown): string | undefined {
  // What the client receives: dates as strings, undefined fields gone.
  const sent = body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
  const result = schema.safeParse(sent);
  if (!result.success) {
    return result.error.issues.map((issue) => `${['$', ...issue.path].join('.')}: ${issue.message}`).join('; ');
  }
  const undeclared = undeclaredFields(sent, result.data, '$');
  return undeclared.length > 0 ? `undeclared fields ${undeclared.join(', ')}` : undefined;
}
