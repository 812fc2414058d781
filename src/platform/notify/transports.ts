/** Where a rendered message goes: a provider (Twilio, SMTP) or the development outbox. */
export interface SmsTransport {
  readonly name: string;
  send(to: string, text: string): Promise<void>;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface EmailTransport {
  readonly name: string;
  send(message: EmailMessage): Promise<void>;
  close?(): void;
}

/** A provider refused or could not be reached; the message says which, never what was sent. */
export class DeliveryFailed extends Error {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}
