// The HTTP edge's two translations: a request body into a validated value (zod, every field named
// on refusal), and a verb's refusal into its status (404 unknown, 422 invalid, 409 the workflow said no).
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import type { VerbResult } from '../tickets/staff-verbs.ts';

export async function body<T>(schema: z.ZodType<T>, req: { json(): Promise<unknown> }): Promise<T> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new HTTPException(400, { message: 'the body must be JSON' });
  }
  return parsed(schema, raw);
}

export function parsed<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new HTTPException(422, { message: result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
  }
  return result.data;
}

const STATUS = { not_found: 404, invalid: 422, refused: 409 } as const;

/** The verb's value, or its refusal as an HTTP error. */
export function accepted<T>(result: VerbResult<T>): { ok: true } & T {
  if (!result.ok) throw new HTTPException(STATUS[result.code], { message: result.reason });
  return result;
}
