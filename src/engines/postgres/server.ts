import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { findBinDir, versionedBinDirs } from '../bin-dirs.js';
import { saysNoSpace } from '../../support/no-space.js';
import type { Serving } from '../../model/endpoint.js';
import type { ContainerServerSpec, LocalServerSpec } from '../engine.js';

/**
 * A copy does not outlive a machine crash: no fsync, no full pages. It does outlive its server
 * (killed, OOM): every commit's WAL is written to the OS at commit (synchronous_commit stays on;
 * without fsync that is a write, not a flush), so a restart finds every committed row. Both
 * runtimes use these.
 */
const DISPOSABLE_SETTINGS = ['-c', 'fsync=off', '-c', 'full_page_writes=off'];

const PORT_IN_USE = /could not bind .*Address already in use|could not create any TCP\/IP sockets/i;

/** Binaries the local runtime needs: the server, and the tools that restore a dump beside it. */
const SERVER_BINARIES = ['initdb', 'postgres', 'pg_restore', 'psql'] as const;

/** Where PostgreSQL is: local.bin_dir, PATH, `pg_config --bindir`, then the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(configured: string | undefined, binaries: readonly string[] = SERVER_BINARIES): string {
  return findBinDir(binaries, configured, {
    what: 'PostgreSQL server binaries',
    hint: 'install them (apt-get install postgresql), set local.bin_dir (e.g. /usr/lib/postgresql/15/bin), or use runtime: docker',
    usualPlaces: () => [...(pgConfigBinDir() ?? []), ...versionedBinDirs('/usr/lib/postgresql')],
  });
}

function pgConfigBinDir(): string[] | null {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dir ? [dir] : null;
  } catch {
    return null;
  }
}

export const localServer: LocalServerSpec = {
  binaries: SERVER_BINARIES,
  findBinDir: postgresBinDir,
  // PostgreSQL refuses to run as root.
  account: 'postgres',
  initCommand(binDir, dataDir, { user, password }, dir) {
    return {
      file: path.join(binDir, 'initdb'),
      args: ['-D', dataDir, '-U', user, `--pwfile=${path.join(dir, 'pwfile')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      files: { pwfile: password },
    };
  },
  serverCommand(binDir, dataDir, port, dir, serving) {
    return {
      file: path.join(binDir, 'postgres'),
      args: [
        '-D', dataDir,
        '-p', String(port),
        '-c', `listen_addresses=${serving.listen}`,
        // No Unix socket: copies are reached over TCP only, and no shared socket dir is needed.
        '-c', 'unix_socket_directories=',
        ...filesSettings(dir, serving.tls !== null),
        ...DISPOSABLE_SETTINGS,
      ],
    };
  },
  // SIGQUIT: immediate shutdown, no checkpoint (the copy is thrown away). SIGINT: fast shutdown
  // with a checkpoint, which makes a golden snapshot's data self-contained.
  stopSignals: { now: 'SIGQUIT', clean: 'SIGINT' },
  dataMarker: 'PG_VERSION',
  // A postmaster.pid naming a live process (its pid reused after a reboot) makes postgres refuse to start.
  lockFiles: (dataDir) => [path.join(dataDir, 'postmaster.pid')],
};

/** The official `postgres` image's contract: POSTGRES_* variables, initdb on first start, `postgres` as the command. */
export const containerServer: ContainerServerSpec = {
  defaultImage: 'postgres:16',
  port: 5432,
  // The official image declares /var/lib/postgresql/data a volume: a commit would leave it out.
  dataDir: '/var/lib/ditto/pgdata',
  filesDir: '/var/lib/ditto/conf',
  serverUid: 999,
  env({ user, password, database }) {
    return {
      PGDATA: containerServer.dataDir,
      POSTGRES_USER: user,
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: database,
      // Same cluster as the local runtime's initdb; --no-sync because the data dies with the container.
      POSTGRES_INITDB_ARGS: '--encoding=UTF8 --locale=C --no-sync',
    };
  },
  secretEnv: ['POSTGRES_PASSWORD'],
  command({ hostPort, listen, tls }) {
    // On the host's network the server must take the copy's port and listen where copies are served.
    const network = hostPort === null ? [] : ['-p', String(hostPort), '-c', `listen_addresses=${listen}`];
    return ['postgres', ...network, ...filesSettings(containerServer.filesDir, tls), ...DISPOSABLE_SETTINGS];
  },
  hostTools: ['pg_restore'],
};

/**
 * The access rules every copy's server uses, kept beside its data rather than in it (a golden
 * snapshot's data serves copies with and without TLS): any address may connect with the copy's
 * password, over TLS only when the copy has a certificate. The local socket (inside a container,
 * where the image's own setup uses it; the local runtime has none) needs no password, as in the
 * official image.
 */
function hbaRules(tls: boolean): string {
  return ['local all all trust', `${tls ? 'hostssl' : 'host'} all all all scram-sha-256`, ''].join('\n');
}

export function serverFiles(serving: Serving): Record<string, string> {
  const files: Record<string, string> = { 'pg_hba.conf': hbaRules(serving.tls !== null) };
  if (serving.tls) Object.assign(files, { 'server.crt': serving.tls.cert, 'server.key': serving.tls.key });
  return files;
}

/** Settings that point the server at its files in `dir`. */
function filesSettings(dir: string, tls: boolean): string[] {
  const hba = ['-c', `hba_file=${dir}/pg_hba.conf`];
  return tls ? [...hba, '-c', 'ssl=on', '-c', `ssl_cert_file=${dir}/server.crt`, '-c', `ssl_key_file=${dir}/server.key`] : hba;
}

/**
 * A write the disk refused: relation files that cannot grow say so without the system's words
 * when a block was written in part ("could not extend file ...: wrote only 4096 of 8192 bytes").
 */
const DISK_FULL = /could not extend file|wrote only \d+ of \d+ bytes/i;

export function diskFull(text: string): boolean {
  return saysNoSpace(text) || DISK_FULL.test(text);
}

/** Why a server stopped while starting: its first FATAL/PANIC/ERROR line, and whether its port was taken. */
export function startFailure(log: string): { message: string; portTaken: boolean } {
  const fatal = log.split('\n').find((line) => /FATAL|PANIC|ERROR/.test(line)) ?? log.split('\n').find((l) => l.trim()) ?? '';
  return { message: fatal.trim(), portTaken: PORT_IN_USE.test(log) };
}
