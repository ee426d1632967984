// Saved replies and organisations follow the projects a staff member sees (src/tickets/rights.ts),
// on both engines, through the admin (app.request, no port). An agent of ALPHA sees, uses and edits
// ALPHA's saved replies and those for all projects, never BETA's (its page, change and delete answer
// 404); the ones for all projects are changed by admins only (403 for an agent, who sees them). The
// ticket page offers its project's replies and the global ones. The People page's organisations,
// and the ticket list's organisation filter, show an agent the organisations that may use one of
// their projects, with those projects and the contacts they see; admins see all.
import { afterAll, describe, expect, it } from 'vitest';
import { addOrganisation, addProject, addStaff } from '../../src/accounts/directory.ts';
import { addSavedReply } from '../../src/tickets/drafts.ts';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();

describe.each(engines)('saved replies and organisations by project on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    const db = g.database.db;
    const now = new Date();
    const passwords = {
      paul: await addStaff(db, { email: 'paul@help.example.test', name: 'Paul', admin: true }, now),
      alice: await addStaff(db, { email: 'alice@help.example.test', name: 'Alice' }, now),
      bob: await addStaff(db, { email: 'bob@help.example.test', name: 'Bob' }, now),
      nora: await addStaff(db, { email: 'nora@help.example.test', name: 'Nora' }, now),
    };
    await addProject(db, { key: 'ALPHA', name: 'Alpha', staff: ['alice@help.example.test'] }, now);
    await addProject(db, { key: 'BETA', name: 'Beta', staff: ['bob@help.example.test'] }, now);
    const projects = Object.fromEntries((await db.selectFrom('project').select(['id', 'key']).execute()).map((p) => [p.key, p.id]));
    await addOrganisation(db, { name: 'AlphaCorp', domains: ['alphacorp.test'], projects: ['ALPHA'] }, now);
    await addOrganisation(db, { name: 'BetaCorp', domains: ['betacorp.test'], projects: ['BETA'] }, now);
    await addOrganisation(db, { name: 'BothCorp', domains: ['both.test'], projects: ['ALPHA', 'BETA'] }, now);
    await addOrganisation(db, { name: 'LonelyCorp', domains: ['lonely.test'], projects: [] }, now);
    const orgs = Object.fromEntries((await db.selectFrom('organisation').select(['id', 'name']).execute()).map((o) => [o.name, o.id]));

    const open = async (reporter: string, summary: string, project?: string, name?: string) => {
      const res = await g.http.request('/api/v1/tickets', {
        method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reporter, reporter_name: name, summary, description: `${summary}: please help.`, project }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { number: number }).number;
    };
    const tickets = {
      alpha: await open('ada@alphacorp.test', 'Alpha printer broken', 'ALPHA', 'Ada'),
      beta: await open('bea@both.test', 'Beta printer jammed', 'BETA'),
      both: await open('ali@both.test', 'Alpha scanner', 'ALPHA'),
      shared: await open('sam@shared.test', 'Shared question'),
    };

    await addSavedReply(db, { projectId: null, title: 'Global thanks', body: 'Thanks {{name}} for ticket #{{number}}.' }, now);
    await addSavedReply(db, { projectId: projects.ALPHA!, title: 'Alpha reboot', body: 'Please reboot the Alpha printer.' }, now);
    await addSavedReply(db, { projectId: projects.BETA!, title: 'Beta secret', body: 'The Beta override code is 4321.' }, now);
    const replies = Object.fromEntries((await db.selectFrom('saved_reply').select(['id', 'title']).execute()).map((r) => [r.title, r.id]));

    async function signIn(who: keyof typeof passwords) {
      const b = browser(g);
      const login = await b.request('/admin/login');
      const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email: `${who}@help.example.test`, password: passwords[who] } });
      expect(res.res.status).toBe(303);
      const csrf = hidden((await b.request('/admin/saved-replies')).text, '_csrf');
      return { b, csrf };
    }
    const reply = (id: number) => db.selectFrom('saved_reply').select(['project_id', 'title', 'body']).where('id', '=', id).executeTakeFirst();
    return { g, db, projects, orgs, tickets, replies, signIn, reply };
  }

  it('keeps an agent to the saved replies of their projects and the global ones, which only admins change', async () => {
    const { g, db, projects, tickets, replies, signIn, reply } = await setup();
    try {
      const { b: alice, csrf } = await signIn('alice');
      const list = await alice.request('/admin/saved-replies');
      expect(list.res.status).toBe(200);
      expect(list.text).toContain('Global thanks');
      expect(list.text).toContain('Alpha reboot');
      expect(list.text).not.toContain('Beta secret');
      expect(list.text).not.toContain('4321');
      // She may change ALPHA's, not the global one; her form offers her projects only, not "All projects".
      expect(list.text).toContain(`href="/admin/saved-replies/${replies['Alpha reboot']}"`);
      expect(list.text).not.toContain(`href="/admin/saved-replies/${replies['Global thanks']}"`);
      expect(list.text).not.toContain(`action="/admin/saved-replies/${replies['Global thanks']}/delete"`);
      expect(list.text).toContain(`<option value="${projects.ALPHA}">Alpha</option>`);
      expect(list.text).not.toContain('>Beta</option>');
      expect(list.text).not.toContain('<option value="">All projects</option>');

      // BETA's reply answers as one that does not exist, whatever the door; it stays as it was.
      const beta = replies['Beta secret']!;
      const before = await reply(beta);
      const betaPage = await alice.request(`/admin/saved-replies/${beta}`);
      expect(betaPage.res.status).toBe(404);
      expect(betaPage.text).not.toContain('4321');
      expect((await alice.request(`/admin/saved-replies/${beta}`, { form: { _csrf: csrf, title: 'Mine now', body: 'x', project: String(projects.ALPHA) } })).res.status).toBe(404);
      expect((await alice.request(`/admin/saved-replies/${beta}/delete`, { form: { _csrf: csrf } })).res.status).toBe(404);
      expect((await alice.request('/admin/saved-replies/999999')).res.status).toBe(404);
      expect(await reply(beta)).toEqual(before);

      // The global one: seen, not changed.
      const global = replies['Global thanks']!;
      expect((await alice.request(`/admin/saved-replies/${global}`)).res.status).toBe(403);
      expect((await alice.request(`/admin/saved-replies/${global}`, { form: { _csrf: csrf, title: 'Changed', body: 'x', project: '' } })).res.status).toBe(403);
      expect((await alice.request(`/admin/saved-replies/${global}/delete`, { form: { _csrf: csrf } })).res.status).toBe(403);
      expect((await reply(global))?.title).toBe('Global thanks');

      // Adding: for all projects refused, for BETA refused as an unknown project, for ALPHA made.
      const count = async () => (await db.selectFrom('saved_reply').select('id').execute()).length;
      expect((await alice.request('/admin/saved-replies', { form: { _csrf: csrf, title: 'For all', body: 'x', project: '' } })).res.status).toBe(403);
      const elsewhere = await alice.request('/admin/saved-replies', { form: { _csrf: csrf, title: 'For Beta', body: 'x', project: String(projects.BETA) } });
      expect(elsewhere.res.status).toBe(422);
      expect(elsewhere.text).toContain('no such project');
      expect(await count()).toBe(3);
      expect((await alice.request('/admin/saved-replies', { form: { _csrf: '', title: 'No token', body: 'x', project: String(projects.ALPHA) } })).res.status).toBe(403);
      expect((await alice.request('/admin/saved-replies', { form: { _csrf: csrf, title: 'Alpha toner', body: 'Change the toner.', project: String(projects.ALPHA) } })).res.status).toBe(303);
      expect(await count()).toBe(4);

      // Editing ALPHA's: its page, a change, no move to BETA.
      const alpha = replies['Alpha reboot']!;
      const editPage = await alice.request(`/admin/saved-replies/${alpha}`);
      expect(editPage.res.status).toBe(200);
      expect(editPage.text).toContain('>Please reboot the Alpha printer.</textarea>');
      expect((await alice.request(`/admin/saved-replies/${alpha}`, { form: { _csrf: csrf, title: 'Alpha reboot', body: 'x', project: String(projects.BETA) } })).res.status).toBe(422);
      expect((await alice.request(`/admin/saved-replies/${alpha}`, { form: { _csrf: csrf, title: 'Alpha restart', body: 'Restart it, {{name}}.', project: String(projects.ALPHA) } })).res.status).toBe(303);
      expect(await reply(alpha)).toEqual({ project_id: projects.ALPHA, title: 'Alpha restart', body: 'Restart it, {{name}}.' });

      // The ticket page offers the ticket's project's replies and the global ones.
      const options = (page: string) => [...page.matchAll(/<option value="(\d+)">([^<]*)<\/option>/g)].filter((m) => Object.values(replies).includes(Number(m[1])) || m[2] === 'Alpha toner').map((m) => m[2]).sort();
      const onAlpha = (await alice.request(`/admin/tickets/${tickets.alpha}`)).text;
      expect(options(/<select id="reply"[\s\S]*?<\/select>/.exec(onAlpha)![0])).toEqual(['Alpha restart', 'Alpha toner', 'Global thanks']);
      const onShared = (await alice.request(`/admin/tickets/${tickets.shared}`)).text;
      expect(options(/<select id="reply"[\s\S]*?<\/select>/.exec(onShared)![0])).toEqual(['Global thanks']);
      // Another project's reply named in the address is not filled in.
      expect((await alice.request(`/admin/tickets/${tickets.alpha}?reply=${beta}`)).text).not.toContain('4321');
      expect((await alice.request(`/admin/tickets/${tickets.alpha}?reply=${alpha}`)).text).toContain('>Restart it, Ada.</textarea>');

      // Bob, on BETA: BETA's and the global one, ALPHA's answer 404; the BETA ticket offers BETA's.
      const { b: bob } = await signIn('bob');
      const bobList = (await bob.request('/admin/saved-replies')).text;
      expect(bobList).toContain('Beta secret');
      expect(bobList).not.toContain('Alpha restart');
      expect((await bob.request(`/admin/saved-replies/${alpha}`)).res.status).toBe(404);
      expect(options(/<select id="reply"[\s\S]*?<\/select>/.exec((await bob.request(`/admin/tickets/${tickets.beta}`)).text)![0])).toEqual(['Beta secret', 'Global thanks']);

      // Nora, on no project, sees every project's (and edits them), but not the global one.
      const { b: nora, csrf: noraCsrf } = await signIn('nora');
      const noraList = (await nora.request('/admin/saved-replies')).text;
      for (const title of ['Global thanks', 'Alpha restart', 'Beta secret']) expect(noraList).toContain(title);
      expect((await nora.request(`/admin/saved-replies/${beta}`)).res.status).toBe(200);
      expect((await nora.request(`/admin/saved-replies/${global}/delete`, { form: { _csrf: noraCsrf } })).res.status).toBe(403);

      // The admin changes all, the global ones included.
      const { b: paul, csrf: paulCsrf } = await signIn('paul');
      expect((await paul.request('/admin/saved-replies')).text).toContain('<option value="">All projects</option>');
      expect((await paul.request(`/admin/saved-replies/${global}`, { form: { _csrf: paulCsrf, title: 'Global thanks', body: 'Thank you, {{name}}.', project: '' } })).res.status).toBe(303);
      expect((await reply(global))?.body).toBe('Thank you, {{name}}.');
      expect((await paul.request(`/admin/saved-replies/${beta}/delete`, { form: { _csrf: paulCsrf } })).res.status).toBe(303);
      expect(await reply(beta)).toBeUndefined();
    } finally {
      await g.stop();
    }
  });

  it('shows an agent the organisations of their projects, with only those projects and the contacts they see', async () => {
    const { g, orgs, signIn } = await setup();
    try {
      const row = (page: string, name: string) => new RegExp(`<tr>\\s*<td>${name}</td>[\\s\\S]*?</tr>`).exec(page)?.[0] ?? null;
      const { b: alice } = await signIn('alice');
      const page = (await alice.request('/admin/accounts/organisations')).text;
      expect(row(page, 'AlphaCorp')).not.toBeNull();
      expect(row(page, 'BetaCorp')).toBeNull();
      expect(row(page, 'LonelyCorp')).toBeNull();
      expect(page).not.toContain('betacorp.test');
      // BothCorp may use ALPHA and BETA: she sees it, with ALPHA only and her one contact of it.
      const both = row(page, 'BothCorp')!;
      expect(both).toContain('ALPHA');
      expect(both).not.toContain('BETA');
      expect(both).toContain('Active: 1');

      // The ticket list's organisation filter offers the same.
      const filter = /<select[^>]*name="organisation"[\s\S]*?<\/select>/.exec((await alice.request('/admin/tickets')).text)![0];
      expect(filter).toContain(`value="${orgs.AlphaCorp}"`);
      expect(filter).toContain(`value="${orgs.BothCorp}"`);
      expect(filter).not.toContain(`value="${orgs.BetaCorp}"`);
      expect(filter).not.toContain(`value="${orgs.LonelyCorp}"`);
      // Managing organisations is the admins' (setup pages), whatever the organisation.
      expect((await alice.request(`/admin/setup/organisations/${orgs.AlphaCorp}`)).res.status).toBe(403);

      for (const who of ['paul', 'nora'] as const) {
        const { b } = await signIn(who);
        const all = (await b.request('/admin/accounts/organisations')).text;
        for (const name of ['AlphaCorp', 'BetaCorp', 'BothCorp', 'LonelyCorp']) expect(row(all, name)).not.toBeNull();
        expect(row(all, 'BothCorp')).toContain('ALPHA, BETA');
        expect(row(all, 'BothCorp')).toContain('Active: 2');
      }
      const { b: paul } = await signIn('paul');
      expect((await paul.request(`/admin/setup/organisations/${orgs.BetaCorp}`)).res.status).toBe(200);
    } finally {
      await g.stop();
    }
  });
});
