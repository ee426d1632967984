// The admin's setup pages through Hono's app.request (no port), on both engines: an admin adds a
// project (address, product, staff), an organisation (domain, project, validation), a staff member
// (the password shown once, only its argon2id hash stored), edits them, deactivates the member (whose
// session then opens nothing); refusals shown with their reason; agents refused on every page and
// form; forms without the session's token refused; the mailbox page showing no password; names
// carrying markup escaped.
import { verify } from '@node-rs/argon2';
import { afterAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet } from '../support/guichet.ts';
import { browser, hidden, type Form } from '../support/admin-browser.ts';

const engines = await testEngines();


async function signIn(g: Guichet, email: string, password: string) {
  const b = browser(g);
  const login = await b.request('/admin/login');
  const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email, password } });
  expect(res.res.status).toBe(303);
  const csrf = hidden((await b.request('/admin/tickets')).text, '_csrf');
  expect(csrf).not.toBe('');
  return { b, csrf };
}

describe.each(engines)('admin setup pages on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('lets an admin add and edit projects, organisations and staff, and deactivate a member', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      const db = g.database.db;
      const password = await addStaff(db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
      const { b, csrf } = await signIn(g, 'paul@help.example.test', password);
      expect((await b.request('/admin/tickets')).text).toContain('href="/admin/setup"');

      // A staff member: the password on the answering page only, not cached; the hash is argon2id.
      const added = await b.request('/admin/setup/staff', { form: { _csrf: csrf, email: 'Agnes@Help.Example.test', name: 'Agnès <script>alert(1)</script>', role: 'agent' } });
      expect(added.res.status).toBe(201);
      expect(added.res.headers.get('cache-control')).toBe('no-store');
      const shown = /id="new-password" readonly value="([^"]+)"/.exec(added.text)?.[1];
      expect(shown).toMatch(/^\S{12,}$/);
      expect(added.text).toContain('Agnès &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(added.text).not.toContain('<script>alert');
      const agnes = await db.selectFrom('staff').selectAll().where('email', '=', 'agnes@help.example.test').executeTakeFirstOrThrow();
      expect(agnes.role).toBe('agent');
      expect(agnes.password_hash).toMatch(/^\$argon2id\$/);
      expect(agnes.password_hash).not.toContain(shown!);
      expect(await verify(agnes.password_hash, shown!)).toBe(true);
      expect((await b.request('/admin/setup/staff')).text).not.toContain(shown!);
      const again = await b.request('/admin/setup/staff', { form: { _csrf: csrf, email: 'agnes@help.example.test', name: 'Twice', role: 'agent' } });
      expect(again.res.status).toBe(422);
      expect(again.text).toContain('a staff member agnes@help.example.test already exists');
      // The refused form comes back filled, one form with its two ways in (formaction: no script needed).
      expect(again.text).toContain('id="staff-name" name="name" required maxlength="200" value="Twice"');
      expect(again.text.match(/name="email"/g)).toHaveLength(1);
      expect(again.text).toContain('<button class="secondary" type="submit" formaction="/admin/setup/staff" aria-describedby="staff-add-hint">Add with a password</button>');
      expect(again.text).toContain('formaction="/admin/setup/staff/invite"');

      // A project with an address, a product and a staff member; a duplicate key refused with the reason.
      const project = await b.request('/admin/setup/projects', {
        form: { _csrf: csrf, key: 'shop', name: 'Web <script>alert(2)</script> shop', addresses: 'Shop@help.example.test', products: 'Checkout\nSearch', staff: ['agnes@help.example.test'] },
      });
      expect(project.res.status).toBe(303);
      const list = await b.request(project.res.headers.get('location')!);
      expect(list.text).toContain('Project SHOP added.');
      expect(list.text).toContain('Web &lt;script&gt;alert(2)&lt;/script&gt; shop');
      expect(list.text).not.toContain('<script>alert');
      const shop = await db.selectFrom('project').selectAll().where('key', '=', 'SHOP').executeTakeFirstOrThrow();
      expect((await db.selectFrom('project_address').select('address').where('project_id', '=', shop.id).execute()).map((r) => r.address)).toEqual(['shop@help.example.test']);
      expect((await db.selectFrom('product').select('name').where('project_id', '=', shop.id).orderBy('name').execute()).map((r) => r.name)).toEqual(['Checkout', 'Search']);
      expect(await db.selectFrom('project_staff').select('staff_id').where('project_id', '=', shop.id).execute()).toEqual([{ staff_id: agnes.id }]);
      const duplicate = await b.request('/admin/setup/projects', { form: { _csrf: csrf, key: 'SHOP', name: 'Other', addresses: '', products: '' } });
      expect(duplicate.res.status).toBe(422);
      expect(duplicate.text).toContain('a project with the key SHOP already exists');
      expect(duplicate.text).not.toMatch(/at .*\.ts:\d+/);
      const taken = await b.request('/admin/setup/projects', { form: { _csrf: csrf, key: 'DOCS', name: 'Docs', addresses: 'shop@help.example.test', products: '' } });
      expect(taken.text).toContain('the address shop@help.example.test already belongs to project SHOP');
      expect(await db.selectFrom('project').select('key').where('key', '=', 'DOCS').executeTakeFirst()).toBeUndefined();

      // Editing: a new key and name, the products and staff replaced.
      const edit = await b.request(`/admin/setup/projects/${shop.id}`);
      expect(edit.text).toMatch(/name="staff" id="project-staff-\d+" value="agnes@help.example.test" checked/);
      const saved = await b.request(`/admin/setup/projects/${shop.id}`, {
        form: { _csrf: csrf, key: 'STORE', name: 'Web store', addresses: 'shop@help.example.test, store@help.example.test', products: 'Checkout\nPayments' },
      });
      expect(saved.res.status).toBe(200);
      expect(saved.text).toContain('Project STORE saved.');
      expect(await db.selectFrom('project').select(['key', 'name']).where('id', '=', shop.id).executeTakeFirst()).toEqual({ key: 'STORE', name: 'Web store' });
      expect((await db.selectFrom('product').select('name').where('project_id', '=', shop.id).orderBy('name').execute()).map((r) => r.name)).toEqual(['Checkout', 'Payments']);
      expect(await db.selectFrom('project_staff').select('staff_id').where('project_id', '=', shop.id).execute()).toEqual([]);
      expect((await db.selectFrom('project_address').select('address').where('project_id', '=', shop.id).orderBy('address').execute()).map((r) => r.address))
        .toEqual(['shop@help.example.test', 'store@help.example.test']);

      // An organisation with a domain, the project, and validation of its members.
      const org = await b.request('/admin/setup/organisations', {
        form: { _csrf: csrf, name: 'Acme <img src=x onerror=alert(3)>', domains: '@Acme.test', projects: ['STORE'], validates: '1' },
      });
      expect(org.res.status).toBe(303);
      const orgs = await b.request(org.res.headers.get('location')!);
      expect(orgs.text).toContain('Organisation Acme &lt;img src=x onerror=alert(3)&gt; added.');
      expect(orgs.text).not.toContain('<img src=x');
      const acme = await db.selectFrom('organisation').selectAll().executeTakeFirstOrThrow();
      expect(acme.requires_validation).toBe(1);
      expect(await db.selectFrom('organisation_domain').select('domain').where('organisation_id', '=', acme.id).execute()).toEqual([{ domain: 'acme.test' }]);
      expect(await db.selectFrom('organisation_project').select('project_id').where('organisation_id', '=', acme.id).execute()).toEqual([{ project_id: shop.id }]);
      const badDomain = await b.request(`/admin/setup/organisations/${acme.id}`, { form: { _csrf: csrf, name: 'Acme', domains: 'not a domain!', projects: [] } });
      expect(badDomain.res.status).toBe(422);
      expect(badDomain.text).toContain('is not a mail domain');
      const orgSaved = await b.request(`/admin/setup/organisations/${acme.id}`, { form: { _csrf: csrf, name: 'Acme', domains: 'acme.test\nacme.example', projects: [] } });
      expect(orgSaved.text).toContain('Organisation Acme saved.');
      expect((await db.selectFrom('organisation').select('requires_validation').where('id', '=', acme.id).executeTakeFirstOrThrow()).requires_validation).toBe(0);
      expect(await db.selectFrom('organisation_project').select('project_id').where('organisation_id', '=', acme.id).execute()).toEqual([]);

      // The new member signs in; once deactivated, their session opens nothing and they cannot sign in again.
      const member = await signIn(g, 'agnes@help.example.test', shown!);
      expect((await member.b.request('/admin/tickets')).res.status).toBe(200);
      const self = await b.request(`/admin/setup/staff/${(await db.selectFrom('staff').select('id').where('email', '=', 'paul@help.example.test').executeTakeFirstOrThrow()).id}/active`, { form: { _csrf: csrf, active: '0' } });
      expect(self.res.status).toBe(422);
      expect(self.text).toContain('you cannot deactivate yourself');
      const off = await b.request(`/admin/setup/staff/${agnes.id}/active`, { form: { _csrf: csrf, active: '0' } });
      expect(off.res.status).toBe(303);
      expect((await b.request(off.res.headers.get('location')!)).text).toContain('agnes@help.example.test saved.');
      expect((await member.b.request('/admin/tickets')).res.status).toBe(303);
      const relogin = browser(g);
      const form = await relogin.request('/admin/login');
      expect((await relogin.request('/admin/login', { form: { _csrf: hidden(form.text, '_csrf'), email: 'agnes@help.example.test', password: shown! } })).res.status).toBe(401);
      // Reactivated and made admin: signs in again and reaches the setup pages.
      expect((await b.request(`/admin/setup/staff/${agnes.id}/active`, { form: { _csrf: csrf, active: '1' } })).res.status).toBe(303);
      expect((await b.request(`/admin/setup/staff/${agnes.id}/role`, { form: { _csrf: csrf, role: 'admin' } })).res.status).toBe(303);
      const back = await signIn(g, 'agnes@help.example.test', shown!);
      expect((await back.b.request('/admin/setup/staff')).res.status).toBe(200);
    } finally {
      await g.stop();
    }
  });

  it('refuses agents on every setup page and form, and any form without the session token', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      const db = g.database.db;
      const adminPassword = await addStaff(db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
      const agentPassword = await addStaff(db, { email: 'bob@help.example.test', name: 'Bob', admin: false }, new Date());
      const bob = await db.selectFrom('staff').select('id').where('email', '=', 'bob@help.example.test').executeTakeFirstOrThrow();
      const agent = await signIn(g, 'bob@help.example.test', agentPassword);
      expect((await agent.b.request('/admin/tickets')).text).not.toContain('href="/admin/setup"');
      for (const path of ['/admin/setup/projects', '/admin/setup/projects/1', '/admin/setup/organisations', '/admin/setup/organisations/1', '/admin/setup/staff', '/admin/setup/mailboxes']) {
        const res = await agent.b.request(path);
        expect(res.res.status, path).toBe(403);
        expect(res.text).toContain('Only admins may change the setup.');
      }
      const posts: Array<[string, Form]> = [
        ['/admin/setup/projects', { key: 'X', name: 'X', addresses: '', products: '' }],
        ['/admin/setup/organisations', { name: 'X', domains: 'x.test' }],
        ['/admin/setup/staff', { email: 'eve@help.example.test', name: 'Eve', role: 'admin' }],
        [`/admin/setup/staff/${bob.id}/role`, { role: 'admin' }],
      ];
      for (const [path, form] of posts) expect((await agent.b.request(path, { form: { _csrf: agent.csrf, ...form } })).res.status, path).toBe(403);
      expect(await db.selectFrom('project').select('id').execute()).toEqual([]);
      expect(await db.selectFrom('organisation').select('id').execute()).toEqual([]);
      expect((await db.selectFrom('staff').select('role').where('id', '=', bob.id).executeTakeFirstOrThrow()).role).toBe('agent');
      expect(await db.selectFrom('staff').select('id').where('email', '=', 'eve@help.example.test').executeTakeFirst()).toBeUndefined();

      // An admin's form without the token (another site's form posting with the cookie): refused, nothing changed.
      const admin = await signIn(g, 'paul@help.example.test', adminPassword);
      for (const [path, form] of posts) {
        expect((await admin.b.request(path, { form })).res.status, path).toBe(403);
        expect((await admin.b.request(path, { form: { ...form, _csrf: 'forged' } })).res.status, path).toBe(403);
      }
      expect(await db.selectFrom('project').select('id').execute()).toEqual([]);
      expect((await db.selectFrom('staff').select('role').where('id', '=', bob.id).executeTakeFirstOrThrow()).role).toBe('agent');
      // Without a session at all: to the login page.
      const anonymous = await browser(g).request('/admin/setup/projects');
      expect(anonymous.res.status).toBe(303);
    } finally {
      await g.stop();
    }
  });

  it('shows the mailboxes the config connects, their live state and last UID, and no password', async () => {
    const g = await buildGuichet({
      databaseUrl: await engine.freshUrl(),
      imapUrl: 'imaps://support%40help.example.test:Imap-s3cret-pw@imap.example.test:993/INBOX',
      smtpUrl: 'smtp://relay:Relay-s3cret-pw@127.0.0.1:2/',
      overrides: { smtpIntake: { listen: '127.0.0.1:2526', auth: { user: 'mta', pass: 'Intake-s3cret-pw' } } },
    });
    try {
      const db = g.database.db;
      const password = await addStaff(db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
      await db.insertInto('mailbox_cursor').values({ mailbox: 'INBOX', uid_validity: 1700000000, last_uid: 4242 }).execute();
      const { b } = await signIn(g, 'paul@help.example.test', password);
      const page = await b.request('/admin/setup/mailboxes');
      expect(page.res.status).toBe(200);
      for (const secret of ['Imap-s3cret-pw', 'Relay-s3cret-pw', 'Intake-s3cret-pw']) expect(page.text).not.toContain(secret);
      expect(page.text).toContain('imaps://support%40help.example.test:***@imap.example.test:993/INBOX');
      expect(page.text).toContain('smtp://relay:***@127.0.0.1:2/');
      expect(page.text).toContain('127.0.0.1:2526');
      expect(page.text).toMatch(/<td>INBOX<\/td><td class="num">1700000000<\/td><td class="num">4242<\/td>/);
      // The poller is built but not started in this test: not connected, never polled.
      expect(page.text).toMatch(/<dt>Connected<\/dt><dd><span class="badge state-blocked">no<\/span><\/dd>/);
      expect(page.text).toContain('support@help.example.test');
    } finally {
      await g.stop();
    }
  });
});
