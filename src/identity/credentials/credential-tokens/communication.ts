import type { CustomerRow } from '../../customers/entities.js';
import { Conflict } from '../../../platform/errors.js';
import { channelUnavailable, type Notifier, type RenderedMessage } from '../../../platform/notify/notifier.js';
import type { AccessTokenDefinitionRow, CredentialTokenRow } from './entities.js';
import { renderTemplate, type TemplateValues } from './template.js';

export const COMMUNICATION_TEMPLATE = 'access-token-communication';

/** A message decided inside a transaction and handed to the notifier only after it commits. */
export interface OutgoingMessage {
  to: string;
  message: RenderedMessage;
}

export type CommunicationNotifier = Pick<Notifier, 'supports' | 'render' | 'dispatch'>;

/** Secrets known in clear only at the moment they are generated; never stored. */
export interface CommunicatedSecrets {
  passCode?: string;
  authenticationCode?: string;
  verificationCode?: string;
}

/**
 * Shown for #access_token.pass_code unless the definition opts in to the pass code in clear, and
 * when the pass code is not known in clear (set in an earlier request: only its hash is kept).
 */
const PASS_CODE_NOT_SHOWN = '(not shown)';

function templateValues(definition: AccessTokenDefinitionRow, token: CredentialTokenRow, customer: CustomerRow, secrets: CommunicatedSecrets): TemplateValues {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
  // crm-com-access-tokens, "Communicating new Access Tokens": the system "can automatically
  // communicate … Identifier and Pass Code". A pass code in an e-mail or SMS can be read wherever
  // the message goes, so it is sent only when the definition opts in (communicate_pass_code).
  const passCode = definition.communicatePassCode ? secrets.passCode : undefined;
  return {
    'access_token.number': token.number,
    'access_token.identifier': token.identifier ?? '',
    'access_token.pass_code': passCode ?? (token.passCodeHash ? PASS_CODE_NOT_SHOWN : ''),
    'access_token.authentication_code': secrets.authenticationCode ?? '',
    'access_token.verification_code': secrets.verificationCode ?? '',
    'accounts_receivable.name': name,
    'rewards_participant.name': name,
    'contact.title': customer.title ?? '',
    'contact.first_name': customer.firstName ?? '',
    'contact.last_name': customer.lastName ?? '',
  };
}

/**
 * The definition's communication for a token assigned to `customer` ("Communicating new Access
 * Tokens"), or undefined when the definition has none. A verification code that cannot be
 * delivered is an error (the token could never become effective); other messages are skipped
 * when the customer has no address for the channel.
 */
export function composeCommunication(
  notifier: CommunicationNotifier,
  definition: AccessTokenDefinitionRow,
  token: CredentialTokenRow,
  customer: CustomerRow,
  secrets: CommunicatedSecrets,
): OutgoingMessage | undefined {
  if (!definition.communicationChannel || !definition.communicationTemplate) return undefined;
  const channel = definition.communicationChannel === 'EMAIL' ? 'email' : 'sms';
  const to = channel === 'email' ? customer.email : customer.phoneNumber;
  if (!to) {
    if (!secrets.verificationCode) return undefined;
    const what = channel === 'email' ? 'an e-mail address' : 'a phone number';
    throw new Conflict('no_recipient', `The contact has no ${what} to send the verification code to`);
  }
  if (!notifier.supports(channel)) throw channelUnavailable(channel);
  const values = templateValues(definition, token, customer, secrets);
  const subject = renderTemplate(definition.communicationSubject ?? '', values);
  const text = renderTemplate(definition.communicationTemplate, values);
  return { to, message: notifier.render(channel, COMMUNICATION_TEMPLATE, { subject, text }) };
}

/** After commit: delivery in the background, like OTP codes, so the response does not wait on a provider. */
export function deliver(notifier: CommunicationNotifier, outgoing: Array<OutgoingMessage | undefined>): void {
  for (const each of outgoing) if (each) notifier.dispatch(each.to, each.message);
}
