// What every /api/v1 route shares so that one zod schema both checks a request and describes it in
// /api/v1/openapi.json: the sub-app factory (a refusal is a 422 naming each field, an unknown path
// parameter a 404, as before the API was described), the JSON body declaration, and the error shape.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ApiEnv } from '../auth.ts';

export const ErrorSchema = z.object({ error: z.string() }).openapi('Error');

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** A sub-app whose routes are validated and documented by their createRoute() schemas. */
export function apiApp() {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      // A path that names no ticket (/tickets/abc) is an unknown resource, not a bad field.
      if (result.target === 'param') throw new HTTPException(404, { message: 'not found' });
      throw new HTTPException(422, { message: issues(result.error) });
    },
  });
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;

/**
 * The API has always read a body as JSON whatever type it declares (`curl -d` says form data), and
 * answered 400 to one that is not JSON: both stay, ahead of the validator, which would otherwise
 * answer 415 and another message.
 */
const readsJson: MiddlewareHandler = async (c, next) => {
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) c.req.raw.headers.set('content-type', 'application/json');
  try {
    await c.req.json();
  } catch {
    throw new HTTPException(400, { message: 'the body must be JSON' });
  }
  await next();
};

/** The request part of a route that takes a JSON body checked by `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } } as const;
}

/** Route middleware for routes declared with jsonBody(). */
export const jsonRoute = { middleware: readsJson };

const errorContent = { 'application/json': { schema: ErrorSchema } } as const;

/** The refusals a route may answer, each with the shared `{ "error": "…" }` body. */
export function errors<const C extends ReadonlyArray<400 | 401 | 403 | 404 | 409 | 413 | 422>>(...codes: C) {
  const text: Record<number, string> = {
    400: 'the body is not JSON', 401: 'missing, wrong or revoked bearer token', 403: 'not allowed for this caller',
    404: 'unknown resource', 409: 'the workflow refuses the change (the reason is given)', 413: 'the body is over the size limit',
    422: 'a field does not validate (each is named)',
  };
  return Object.fromEntries([401, ...codes].map((code) => [code, { description: text[code]!, content: errorContent }])) as Record<C[number] | 401, { description: string; content: typeof errorContent }>;
}

export const bearerSecurity: Array<Record<string, string[]>> = [{ bearer: [] }];
