/** Who is asking, on a shared host: a token's or a JWT's owner. Local use has no caller. */
export interface Caller {
  name: string;
  admin: boolean;
}

/** Whose copies a caller sees: its own, or (admin, local use) everyone's. */
export function visibleOwner(caller: Caller | null | undefined): string | null {
  return caller && !caller.admin ? caller.name : null;
}
