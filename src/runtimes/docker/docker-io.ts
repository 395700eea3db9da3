import { Writable } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecResult {
  exitCode: number;
  stderr: string;
}

/** Keeps at most `limit` bytes of what is written to it: the head, where a tool's first error is. */
class Head extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (this.size < this.limit) {
      const kept = chunk.subarray(0, this.limit - this.size);
      this.chunks.push(kept);
      this.size += kept.length;
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs `cmd` in a running container and waits for it, feeding it `input` on stdin when given.
 * Stdout is dropped (psql prints the result of every SELECT in a plain dump); stderr is kept for
 * the error message.
 */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[], env: Record<string, string>, input?: () => NodeJS.ReadableStream): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: cmd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    AttachStdin: input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: input !== undefined });
  if (input) {
    // The hijacked socket carries stdin one way; ending our half tells the tool its input is done.
    const source = input();
    source.on('error', (err) => stream.destroy(err));
    source.on('end', () => (stream as unknown as { end(): void }).end());
    source.pipe(stream as unknown as NodeJS.WritableStream, { end: false });
  }
  const stderr = new Head(256 * 1024);
  const stdout = new Writable({ write: (_chunk, _enc, done) => done() });
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // The exit code can lag the end of the stream by a moment.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 500; i++) {
    await new Promise((r) => setTimeout(r, 10));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, stderr: stderr.text() };
}

/**
 * The text of a non-TTY container's log as returned in one piece: frames of an 8-byte header
 * (stream, 0, 0, 0, big-endian length) and a payload. stdout and stderr are merged in order.
 */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const stream = raw[at]!;
    const length = raw.readUInt32BE(at + 4);
    if (stream > 2 || raw[at + 1] !== 0 || raw[at + 2] !== 0 || raw[at + 3] !== 0) {
      // Not multiplexed after all (a TTY container): the buffer is the text.
      return raw.toString('utf8');
    }
    parts.push(raw.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Puts `files` (name -> content) into directory `dir` of a created container, owned by `uid` and
 * private to it (a TLS key must be), before the container starts.
 */
export async function putFiles(container: Docker.Container, dir: string, files: Record<string, string>, uid: number): Promise<void> {
  const { pack } = await import('tar-stream');
  const tar = pack();
  const owner = { uid, gid: uid };
  tar.entry({ name: dir.replace(/^\//, ''), type: 'directory', mode: 0o700, ...owner });
  for (const [name, content] of Object.entries(files)) tar.entry({ name: `${dir.replace(/^\//, '')}/${name}`, mode: 0o600, ...owner }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  await container.putArchive(Buffer.concat(chunks), { path: '/' });
}
