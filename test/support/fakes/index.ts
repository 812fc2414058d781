export * from './google.js';
export * from './apple.js';
export * from './facebook.js';
export * from './twilio.js';
export * from './smtp.js';
