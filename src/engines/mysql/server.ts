import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../../errors.js';
import { findBinDir } from '../bin-dirs.js';
import { saysNoSpace } from '../../support/no-space.js';
import type { Serving } from '../../model/endpoint.js';
import type { ContainerServerSpec, LocalServerSpec } from '../engine.js';

/**
 * A copy does not outlive a machine crash: no binary log, no doublewrite, no flush at commit. It
 * does outlive its server (killed, OOM): the redo log is written to the OS at every commit, so a
 * restart recovers every committed row. A small redo log and
 * buffer pool: a clone writes into its own redo log first, and an overlay clone copies up whole
 * files, so a 96 MB default log would be copied into every copy. Both runtimes use these.
 */
const DISPOSABLE_SETTINGS = [
  '--skip-log-bin',
  '--skip-name-resolve',
  '--innodb-doublewrite=0',
  '--innodb-flush-log-at-trx-commit=2',
  '--innodb-log-file-size=8M',
  '--innodb-buffer-pool-size=32M',
  // No buffer pool dump at shutdown, and none loaded at start: a clone would read its snapshot's
  // hot pages back before its first query.
  '--innodb-buffer-pool-dump-at-shutdown=0',
  '--innodb-buffer-pool-load-at-startup=0',
  // A clean stop (a golden snapshot's builder) finishes purge and merges first: left for the next
  // start, that work writes into every table a clone opens, and an overlay clone then copies each
  // such file whole, a cost growing with the data (a copy is killed, so this costs it nothing).
  '--innodb-fast-shutdown=0',
  '--character-set-server=utf8mb4',
];

const PORT_IN_USE = /Can't start server: Bind on TCP\/IP port|Address already in use|Do you already have another (mysqld|mariadbd) server running/i;

/** The tools beside the server: its client and its installer; the server itself may live in an sbin of its own. */
const TOOLS = ['mariadb-install-db', 'mariadb'] as const;
const SERVERS = ['mariadbd', 'mysqld'];

/**
 * Where MariaDB (or MySQL) is: local.bin_dir, PATH, then /usr/bin and /usr/local/mysql/bin. The
 * directory of the client tools; the server binary is found beside it or in the matching sbin.
 */
export function mysqlBinDir(configured: string | undefined, binaries: readonly string[] = TOOLS): string {
  const dir = findBinDir(binaries, configured, {
    what: 'MariaDB (or MySQL) binaries',
    hint: 'install them (apt-get install mariadb-server), set local.bin_dir, or use runtime: docker',
    usualPlaces: () => ['/usr/bin', '/usr/local/mysql/bin', '/usr/local/bin'],
  });
  // A directory with the server's tools must also lead to the server, or it cannot run copies.
  if (binaries === TOOLS) serverBinary(dir);
  return dir;
}

/** The server binary that goes with the tools in `binDir`. */
export function serverBinary(binDir: string): string {
  const places = [binDir, path.join(path.dirname(binDir), 'sbin'), '/usr/sbin'];
  for (const dir of places) {
    for (const name of SERVERS) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  throw new DittoError('RUNTIME_UNAVAILABLE', `no MariaDB server (mariadbd) beside ${binDir} or in /usr/sbin`, {
    hint: 'install mariadb-server, or set local.bin_dir to the directory of a complete installation',
  });
}

/**
 * What the installer runs once the system tables exist: the superuser gets the copy's password,
 * reachable over TCP as root@'%' (the installer's password-less root@127.0.0.1, ::1 and
 * <hostname> would match loopback first, so they go), and the copy's database exists. FLUSH
 * PRIVILEGES first: in bootstrap the grant tables are not loaded, and account statements fail.
 */
function bootstrapSql(password: string, database: string): string {
  const pw = `'${password.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return [
    'FLUSH PRIVILEGES;',
    "DELETE FROM mysql.global_priv WHERE user = 'root' AND host <> 'localhost';",
    'FLUSH PRIVILEGES;',
    `ALTER USER 'root'@'localhost' IDENTIFIED BY ${pw};`,
    `CREATE USER 'root'@'%' IDENTIFIED BY ${pw};`,
    `GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;`,
    `CREATE DATABASE IF NOT EXISTS \`${database.replaceAll('`', '``')}\`;`,
    '',
  ].join('\n');
}

export const localServer: LocalServerSpec = {
  binaries: TOOLS,
  findBinDir: mysqlBinDir,
  account: 'mysql',
  initCommand(binDir, dataDir, { password, database }, dir) {
    return {
      file: path.join(binDir, 'mariadb-install-db'),
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
        `--extra-file=${path.join(dir, 'bootstrap.sql')}`,
        '--innodb-log-file-size=8M',
      ],
      files: { 'bootstrap.sql': bootstrapSql(password, database) },
    };
  },
  serverCommand(binDir, dataDir, port, dir, serving) {
    return {
      file: serverBinary(binDir),
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        `--bind-address=${serving.listen}`,
        ...tlsSettings(dir, serving.tls !== null),
        // Its socket and pid file in the copy's own directory: no shared /run/mysqld is needed.
        `--socket=${path.join(dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--tmpdir=${dir}`,
        ...DISPOSABLE_SETTINGS,
      ],
    };
  },
  // SIGKILL: the copy is thrown away and the server keeps no shared memory to leak. SIGTERM: a
  // clean shutdown, after which a golden snapshot's data stands alone.
  stopSignals: { now: 'SIGKILL', clean: 'SIGTERM' },
  dataMarker: 'mysql',
  // MySQL 8 keeps a lock beside its socket naming its pid; MariaDB replaces a stale socket itself.
  lockFiles: (_dataDir, dir) => [path.join(dir, 'mysqld.sock.lock')],
};

/** The official `mariadb` image's contract: MARIADB_* (or MYSQL_*) variables, initialisation on first start, server flags as the command. */
export const containerServer: ContainerServerSpec = {
  defaultImage: 'mariadb:11',
  port: 3306,
  // The official image declares /var/lib/mysql a volume: a commit would leave it out.
  dataDir: '/var/lib/ditto/mysql',
  filesDir: '/var/lib/ditto/conf',
  serverUid: 999,
  env({ password, database }) {
    return { MARIADB_ROOT_PASSWORD: password, MYSQL_ROOT_PASSWORD: password, MARIADB_DATABASE: database, MYSQL_DATABASE: database };
  },
  secretEnv: ['MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'],
  command({ hostPort, listen, tls }) {
    // Flags alone: the official entrypoints put the server binary in front of them.
    const network = hostPort === null ? [] : [`--port=${hostPort}`, `--bind-address=${listen}`];
    return [`--datadir=${containerServer.dataDir}`, ...network, ...tlsSettings(containerServer.filesDir, tls), ...DISPOSABLE_SETTINGS];
  },
  hostTools: ['mariadb'],
};

/** A copy with a certificate takes TLS connections only (its socket, used by ditto's tools inside a container, counts as secure). */
export function serverFiles(serving: Serving): Record<string, string> {
  return serving.tls ? { 'server.crt': serving.tls.cert, 'server.key': serving.tls.key } : {};
}

function tlsSettings(dir: string, tls: boolean): string[] {
  return tls ? [`--ssl-cert=${dir}/server.crt`, `--ssl-key=${dir}/server.key`, '--require-secure-transport=ON'] : [];
}

/**
 * MariaDB and MySQL on a full disk: "Disk full (./x.MAI); waiting for someone to free some space",
 * errno 28 ("(Errcode: 28 ...)", "errno: 28", InnoDB's "failed with error 28", "Operating system
 * error number 28"), and InnoDB's "The table 't' is full" (1114).
 */
const DISK_FULL = /\bdisk (is )?full\b|\b(errcode|errno|error|error number):? 28\b|\bThe table '[^']*' is full/i;

export function diskFull(text: string): boolean {
  return saysNoSpace(text) || DISK_FULL.test(text);
}

/** Why a server stopped while starting: its first [ERROR] line, and whether its port was taken. */
export function startFailure(log: string): { message: string; portTaken: boolean } {
  const lines = log.split('\n');
  const error = lines.find((line) => /\[ERROR\]/.test(line) && !/Aborting/.test(line)) ?? lines.find((l) => l.trim()) ?? '';
  return { message: error.replace(/^\S+ \S+ \d+ /, '').trim(), portTaken: PORT_IN_USE.test(log) };
}
