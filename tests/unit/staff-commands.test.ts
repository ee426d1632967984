import { describe, expect, it } from 'vitest';
import { readStaffCommands } from '../../src/mail/staff-commands.ts';

const ME = 'paul@help.test';

describe('readStaffCommands', () => {
  it('takes English commands off the top and keeps the rest as the reply', () => {
    const r = readStaffCommands('Status: resolved\nResolution: fixed\nPriority: major\nAssign: me\n\nFixed in 2.4, thanks.\nStatus: this line is text', ME);
    expect(r).toEqual({
      internal: false,
      changes: { status: 'resolved', resolution: 'fixed', priority: 'major', assignee: ME },
      errors: [],
      text: 'Fixed in 2.4, thanks.\nStatus: this line is text',
    });
  });

  it('reads French keys and values, accents and no-break spaces included', () => {
    const r = readStaffCommands('Statut\u00a0: traité\nRésolution : corrigé\nPriorité : bloquant\nAssigner : moi\nDoublon : #12\n\nC’est réglé.', ME);
    expect(r.changes).toEqual({ status: 'resolved', resolution: 'fixed', priority: 'blocking', assignee: ME, duplicateOf: 12 });
    expect(r.text).toBe('C’est réglé.');
  });

  it('#note first makes an internal note', () => {
    expect(readStaffCommands('#note\nAssign: nobody\nAsked the dev team.', ME)).toEqual({ internal: true, changes: { assignee: null }, errors: [], text: 'Asked the dev team.' });
  });

  it('reports a command it cannot read instead of guessing', () => {
    const r = readStaffCommands('Status: solved\nAssign: the boss\nDuplicate: twelve\nHello', ME);
    expect(r.errors).toEqual([
      '"Status: solved": no status "solved"',
      '"Assign: the boss": name a staff member\'s address, "me" or "nobody"',
      '"Duplicate: twelve": name the ticket it duplicates, e.g. #12',
    ]);
  });

  it('leaves ordinary text alone, even with a colon on the first line', () => {
    expect(readStaffCommands('Hello Ada: the fix is live.', ME)).toEqual({ internal: false, changes: {}, errors: [], text: 'Hello Ada: the fix is live.' });
    expect(readStaffCommands('Note: restart the service first.', ME).changes).toEqual({});
  });
});
