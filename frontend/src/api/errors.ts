// The server's error codes, as its OpenAPI document publishes them (`ErrorCode`), and the
// message keys the i18n dictionaries give them: `error.<code>`.
import type { components } from './schema';

export type ErrorCode = components['schemas']['ErrorCode'];

export type ErrorMessages = { [K in ErrorCode as `error.${K}`]: string };

/** The dictionary entries of a code → message table: `price_mismatch` → `error.price_mismatch`. */
export function errorMessages(table: Record<ErrorCode, string>): ErrorMessages {
  return Object.fromEntries(Object.entries(table).map(([code, text]) => [`error.${code}`, text])) as ErrorMessages;
}
