// The JS SDK under Deno: a copy made, its server reached, the copy destroyed. The mode is
// the environment's (DITTO_SERVER and DITTO_TOKEN: remote; else DITTO_BIN or `ditto` on PATH).
//
//   deno run --allow-env --allow-run --allow-net=127.0.0.1 --allow-read make-and-destroy.ts
import { createClient } from '../../dist/index.js';

const client = createClient();
const copy = await client.up({ label: 'deno', ttl: '10m' });
try {
  const conn = await Deno.connect({ hostname: new URL(copy.connectionString).hostname, port: copy.port ?? 0 });
  conn.close();
  const listed = (await client.list()).some((c) => c.id === copy.id);
  console.log(JSON.stringify({ deno: Deno.version.deno, mode: client.mode, id: copy.id, listed }));
} finally {
  await client.down(copy.id);
}
