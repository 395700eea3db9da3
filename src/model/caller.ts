/**
 * Who is asking, on a shared host; local use has no caller. `owner` names the identity with its
 * source, so two sources never share a name: `token:<name>` for a static token, `oidc:<issuer>#<claim
 * value>` for a JWT. Admin is a property of the identity (an admin token, an admin claim), never of a name.
 */
export interface Caller {
  owner: string;
  admin: boolean;
}

/** The owner of a static token (host.tokens, host.admin_tokens) named `name`. */
export function tokenOwner(name: string): string {
  return `token:${name}`;
}

/** The owner of a JWT from `issuer` whose owner claim is `value`. */
export function oidcOwner(issuer: string, value: string): string {
  return `oidc:${issuer}#${value}`;
}

/** Whose copies a caller sees: its own, or (admin, local use) everyone's. */
export function visibleOwner(caller: Caller | null | undefined): string | null {
  return caller && !caller.admin ? caller.owner : null;
}
