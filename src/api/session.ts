import * as z from 'zod';
import { DittoError } from '../errors.js';

/** POST /v2/session: the token the dashboard signs in with (a static token or an OIDC JWT). */
const signInBody = z.object({ token: z.string().min(1).max(3000) });

export function parseSignIn(body: unknown): string {
  const parsed = signInBody.safeParse(body);
  if (!parsed.success) throw new DittoError('BAD_INPUT', 'request body must be {"token": "..."}', { hint: 'send the token the host operator gave you, or an OIDC token' });
  return parsed.data.token;
}

/** Who the session (or bearer) is: GET /v2/session and the sign-in's answer; owner null when signed out. */
export function sessionWire(caller: { owner: string; admin: boolean } | null): Record<string, unknown> {
  return { owner: caller?.owner ?? null, admin: caller?.admin ?? false };
}
