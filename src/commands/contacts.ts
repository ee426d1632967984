// guichet contacts list [--pending] | validate <email> | refuse <email> [--message text] | block <email>
//                  | language <email> en|fr
// Until the admin offers it, staff decide on accounts here.
import { blockContact, ContactError, listContacts, refuseContact, setContactLanguage, validateContact } from '../accounts/contacts.ts';
import type { Config } from '../config.ts';

export async function contactsCommand(config: Config, args: string[], out: (s: string) => void): Promise<number> {
  const [verb, email] = args;
  const { createGuichet } = await import('../app.ts');
  const guichet = await createGuichet(config, { prepareThread: false });
  const { db } = guichet.database;
  try {
    switch (verb) {
      case 'list': {
        const rows = await listContacts(db, args.includes('--pending') ? 'pending' : undefined);
        if (!rows.length) out('no contacts\n');
        for (const r of rows) {
          out(`${r.state.padEnd(8)} ${r.email}${r.name ? ` (${r.name})` : ''}${r.organisation ? ` — ${r.organisation}` : ''}${Number(r.held) ? ` — ${r.held} held message(s)` : ''}${r.bounce_reason ? ` — bounced: ${r.bounce_reason}` : ''}\n`);
        }
        return 0;
      }
      case 'validate': {
        if (!email) break;
        const results = await validateContact(db, guichet.intake, email);
        await guichet.outbox.runOnce();
        out(`${email} is active; ${results.length} held message(s) released${results.length ? ':' : ''}\n`);
        for (const r of results) out(`  ${r.state}: ${r.outcome}${r.ticketNumber ? ` #${r.ticketNumber}` : ''}\n`);
        return 0;
      }
      case 'refuse': {
        if (!email) break;
        const i = args.indexOf('--message');
        await refuseContact(db, guichet.notifier, email, new Date(), i > 0 ? args[i + 1] : undefined);
        await guichet.outbox.runOnce();
        out(`${email} is refused and was told so; their mail stays held\n`);
        return 0;
      }
      case 'language': {
        const language = args[2];
        if (!email || (language !== 'en' && language !== 'fr')) break;
        await setContactLanguage(db, email, language);
        out(`${email} now gets mail in ${language}\n`);
        return 0;
      }
      case 'block': {
        if (!email) break;
        await blockContact(db, email);
        out(`${email} is blocked: their mail is held silently\n`);
        return 0;
      }
    }
    out('usage: guichet contacts list [--pending] | validate <email> | refuse <email> [--message text] | block <email> | language <email> en|fr\n');
    return 2;
  } catch (err) {
    if (err instanceof ContactError) {
      out(`guichet contacts: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await guichet.stop();
  }
}
