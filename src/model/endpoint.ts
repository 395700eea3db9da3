/** Where a database server listens, as a client reaches it. A runtime returns it; an engine turns it into a connection string. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Who connects, and to which database: each copy has its own password. */
export interface Credentials {
  user: string;
  password: string;
  database: string;
}
