// Child process for the concurrency test: opens its own connection and creates N tickets, one
// transaction each, printing the numbers it got as JSON.
import { openDatabase } from '../../src/db/connect.ts';
import { openTicket } from '../../src/tickets/store.ts';

const [url, countText, email] = process.argv.slice(2);
const database = openDatabase(url!);
const numbers: number[] = [];
for (let i = 0; i < Number(countText); i++) {
  const { ticket } = await database.db.transaction().execute(async (trx) => {
    const reporter = await trx.selectFrom('contact').selectAll().where('email', '=', email!).executeTakeFirstOrThrow();
    return openTicket(
      trx,
      {
        reporter,
        summary: `concurrent ${i}`,
        language: 'en',
        watchers: [],
        first: {
          kind: 'email', authorContactId: reporter.id, authorStaffId: null, authorEmail: email!, text: 'x', fullText: 'x',
          html: null, messageId: null, inboundMessageId: null, attachments: [],
        },
      },
      new Date(),
    );
  });
  numbers.push(ticket.number);
}
await database.close();
process.stdout.write(JSON.stringify(numbers));
