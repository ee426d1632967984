// /api/v1 for scripts and integrations: one sub-app per resource, each route described by the schemas
// that check it. The description (/api/v1/openapi.json) holds no data, so it is served to anyone;
// everything else needs a bearer token, which names the caller every write is recorded as.
import { apiAuth } from '../auth.ts';
import { announcementsApi } from './announcements.ts';
import { contactsApi } from './contacts.ts';
import type { ApiDeps } from './deps.ts';
import { inboundApi } from './inbound.ts';
import { apiApp } from './openapi.ts';
import { outboxApi } from './outbox.ts';
import { ticketsApi } from './tickets.ts';

export function createApi(deps: ApiDeps) {
  const api = apiApp();
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http', scheme: 'bearer',
    description: 'a staff member\'s own token (gst_…, created in the admin under API tokens; acts as that member) or admin.apiToken (acts as the support team)',
  });
  api.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'Guichet API', version: '1' },
    servers: [{ url: '/api/v1' }],
  });
  api.use('*', apiAuth(deps));
  api.route('/tickets', ticketsApi(deps));
  api.route('/announcements', announcementsApi(deps));
  // Deciding on accounts and mail acts through the intake and the outbox, passed in as the admin gets them.
  if (deps.ports) {
    const withPorts = { ...deps, ports: deps.ports };
    api.route('/contacts', contactsApi(withPorts));
    api.route('/outbox', outboxApi(withPorts));
    api.route('/inbound', inboundApi(withPorts));
  }
  return api;
}
