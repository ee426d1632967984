// What accounts/ announces to a person about their account; declared here, implemented by notify/.
import type { Contact, Trx } from '../db/schema.ts';

export interface AccountNotices {
  /** The contact's first mail waits for validation: told once. */
  accountPending(trx: Trx, contact: Contact, e: { originalSubject: string; answering: string | null }, now: Date): Promise<void>;
  /** Staff refused the account. */
  accountRefused(trx: Trx, contact: Contact, e: { message?: string; answering: string | null }, now: Date): Promise<void>;
}
