/**
 * How clients must connect to a copy that accepts TLS only: checking its certificate against a CA
 * they trust (`verify-full`, an operator's certificate), or only encrypting (`require`, a
 * certificate from the CA ditto made, which clients do not hold unless they fetch it).
 */
export type TlsMode = 'require' | 'verify-full';

/** Where a database server listens, as a client reaches it. A runtime returns it; an engine turns it into a connection string. */
export interface Endpoint {
  host: string;
  port: number;
  /** Set when the server accepts TLS connections only. */
  tls?: TlsMode | null | undefined;
}

/** Who connects, and to which database: each copy has its own password. */
export interface Credentials {
  user: string;
  password: string;
  database: string;
}

/** The certificate (chain) and private key a server presents, as PEM text. */
export interface ServerTls {
  mode: TlsMode;
  cert: string;
  key: string;
}

/** Where and how a copy's server accepts connections. */
export interface Serving {
  /** The address it listens on: 127.0.0.1, a machine's address, or 0.0.0.0 / :: for every one. */
  listen: string;
  tls: ServerTls | null;
}

/** How ditto's own work (golden snapshot builders, reseed's scratch copies) is served: loopback, in clear. */
export const INTERNAL_SERVING: Serving = { listen: '127.0.0.1', tls: null };

const WILDCARDS: Record<string, string> = { '0.0.0.0': '127.0.0.1', '': '127.0.0.1', '*': '127.0.0.1', '::': '::1' };

/** The address a process on this machine reaches a server listening on `listen` at. */
export function localAddress(listen: string): string {
  return WILDCARDS[listen] ?? listen;
}

/** Whether `listen` means every address of the machine rather than one. */
export function isWildcard(listen: string): boolean {
  return listen in WILDCARDS;
}
