import * as z from 'zod';

/** The dashboard's own routes on the wire: sign-in, who is signed in, a copy's DSN, a reseed started. */

/** POST /v2/session: the token the dashboard signs in with (a static token or an OIDC JWT). */
export const signInBody = z.object({ token: z.string().min(1).max(3000) }).meta({ id: 'SignIn' });

export const sessionWireSchema = z
  .object({ owner: z.string().nullable().describe('null when signed out'), admin: z.boolean() })
  .meta({ id: 'Session', description: 'Who the session (or bearer) is.' });

export const connectionWireSchema = z.object({ connection_string: z.string() }).meta({ id: 'Connection' });

export const reseedStartedWireSchema = z.object({ started: z.literal(true) }).meta({ id: 'ReseedStarted' });

/** Who the session (or bearer) is: GET /v2/session and the sign-in's answer. */
export function sessionWire(caller: { owner: string; admin: boolean } | null): z.infer<typeof sessionWireSchema> {
  return { owner: caller?.owner ?? null, admin: caller?.admin ?? false };
}
