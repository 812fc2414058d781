import { Invalid } from '../../../platform/errors.js';

/**
 * CRM.COM communication templates are free text with `#entity.field` tags (crm-com-access-tokens,
 * business example: "Dear #accounts_receivable.name … #access_token.verification_code").
 * These are the tags Gatehouse can fill; any other tag is refused when the template is saved, so
 * a typo never reaches a customer as literal text.
 */
export const TEMPLATE_TAGS = [
  'access_token.number',
  'access_token.identifier',
  'access_token.pass_code',
  'access_token.authentication_code',
  'access_token.verification_code',
  'accounts_receivable.name',
  'rewards_participant.name',
  'contact.title',
  'contact.first_name',
  'contact.last_name',
] as const;

export type TemplateTag = (typeof TEMPLATE_TAGS)[number];
export type TemplateValues = Partial<Record<TemplateTag, string>>;

/** A tag is `#` + dotted lower-case words; a trailing full stop ends the tag, as in "… code #access_token.number." */
const TAG = /#([a-z_]+(?:\.[a-z_]+)+)/g;

export function tagsIn(text: string): string[] {
  return [...new Set([...text.matchAll(TAG)].map((match) => match[1]!))];
}

/** 400 naming every tag Gatehouse cannot fill; `field` is the request field the text came in. */
export function assertKnownTags(text: string, field: string): void {
  const unknown = tagsIn(text).filter((tag) => !(TEMPLATE_TAGS as readonly string[]).includes(tag));
  if (unknown.length === 0) return;
  const message = `unknown template ${unknown.length === 1 ? 'tag' : 'tags'} ${unknown.map((tag) => `#${tag}`).join(', ')}`;
  throw new Invalid('unknown_template_tag', `${field}: ${message}`, {
    fields: { [field]: [`${message}; known tags: ${TEMPLATE_TAGS.map((tag) => `#${tag}`).join(', ')}`] },
  });
}

/**
 * Plain-text rendering: every tag replaced by its value, or by nothing when the value does not
 * apply (no pass code on an authentication-code token). HTML escaping is the e-mail template's
 * job (views/email/access-token-communication.html.eta), so an SMS never shows `&amp;`.
 */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(TAG, (whole, tag: string) => ((TEMPLATE_TAGS as readonly string[]).includes(tag) ? (values[tag as TemplateTag] ?? '') : whole));
}
