import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { CLI } from './ditto.js';
import { waitFor } from './state.js';

/**
 * A mount namespace of its own, held open by a sleeping process, in which `command` runs ditto
 * (nsenter). What ditto marks there is judged only from there (runtimes/home-mark.ts): the ditto
 * processes of other test files, in the suite's namespace, leave it alone, as they would a CI
 * job's container.
 */
export class MountNamespace {
  private constructor(private readonly holder: ChildProcess) {}

  static async open(): Promise<MountNamespace> {
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', 'infinity'], { stdio: 'ignore' });
    const ns = new MountNamespace(holder);
    const own = fs.readlinkSync('/proc/self/ns/mnt');
    await waitFor(() => ns.idOrNull() !== null && ns.idOrNull() !== own, 'the new mount namespace', 5000);
    return ns;
  }

  /** `mnt:[inode]`, as ditto records it. */
  get id(): string {
    return this.idOrNull()!;
  }

  /** How a TestHome starts ditto in it. */
  get command(): string[] {
    return ['nsenter', `--target=${this.holder.pid}`, '--mount', '--', process.execPath, CLI];
  }

  /** Mount points as seen in it, at or below `dir`. */
  mountsUnder(dir: string): string[] {
    return mountsUnder(dir, `/proc/${this.holder.pid}/mounts`);
  }

  close(): void {
    this.holder.kill('SIGTERM');
  }

  private idOrNull(): string | null {
    try {
      return fs.readlinkSync(`/proc/${this.holder.pid}/ns/mnt`);
    } catch {
      return null;
    }
  }
}
