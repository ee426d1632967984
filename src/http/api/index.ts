// /api/v1 for scripts and integrations, behind the bearer token: one sub-app per resource.
import { Hono } from 'hono';
import { bearerToken } from '../auth.ts';
import { announcementsApi } from './announcements.ts';
import type { ApiDeps } from './deps.ts';
import { ticketsApi } from './tickets.ts';

export function createApi(deps: ApiDeps) {
  const api = new Hono();
  api.use('*', bearerToken(deps.apiToken));
  api.route('/tickets', ticketsApi(deps));
  api.route('/announcements', announcementsApi(deps));
  return api;
}
