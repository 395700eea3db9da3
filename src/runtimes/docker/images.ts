import type Docker from 'dockerode';
import type { Engine } from '../../engines/engine.js';
import { DittoError } from '../../errors.js';
import { firstLine } from '../../support/text.js';
import { connectReason, isConnectError, unreachable, type EngineAddress } from './docker-endpoint.js';
import { engineCall, engineMessage, type EngineError } from './engine-call.js';
import { LABEL_GOLDEN, LABEL_HOME } from './labels.js';

/** Images on the engine: the ones copies run (never pulled when present), and this home's golden snapshot images. */
export class Images {
  constructor(
    private readonly docker: Docker,
    private readonly address: EngineAddress,
    private readonly homeKey: string,
  ) {}

  /** Golden images are named per home, so two homes with the same dump never share (or remove) one. */
  golden(key: string): string {
    return `ditto-golden-${this.homeKey}:${key}`;
  }

  async exists(image: string): Promise<boolean> {
    return (await this.inspect(image)) !== null;
  }

  /** What the engine knows of `image`, or null when it does not have it. */
  async inspect(image: string): Promise<Docker.ImageInspectInfo | null> {
    try {
      return await this.docker.getImage(image).inspect();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.address, connectReason(err));
      if ((err as EngineError).statusCode === 404) return null;
      throw new DittoError('PROVISION_FAILED', `could not inspect image ${image}: ${engineMessage(err)}`);
    }
  }

  /** A present image is never pulled; a missing one is, once, and a failed pull names the image. */
  async ensure(image: string): Promise<void> {
    if (await this.exists(image)) return;
    try {
      const stream = await this.docker.pull(image);
      const events = await new Promise<{ error?: string }[]>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve(output)));
      });
      // A pull that fails part-way ends the stream normally and reports the failure as an event.
      const failed = events.find((e) => e.error);
      if (failed) throw new Error(failed.error);
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.address, connectReason(err));
      throw new DittoError('PROVISION_FAILED', `image ${image} is not on the Docker engine and pulling it failed: ${firstLine(engineMessage(err))}`, {
        hint: `pull or build ${image} on the engine, or set copy_image in ditto.yaml to an image it has`,
      });
    }
  }

  /** Commits a stopped builder's container as golden image `key`. */
  async commitGolden(container: Docker.Container, key: string, engine: Engine): Promise<void> {
    const [repo, tag] = this.golden(key).split(':') as [string, string];
    // The builder's password was in its environment: the image keeps none (clones bring their own).
    const blanked = engine.container.secretEnv.map((name) => `ENV ${name}=`);
    await engineCall(this.address, () => container.commit({ repo, tag, changes: [`LABEL ${LABEL_GOLDEN}=${key}`, ...blanked] }));
  }

  async removeGolden(key: string): Promise<void> {
    try {
      await this.docker.getImage(this.golden(key)).remove();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.address, connectReason(err));
      // 404: gone already. 409: a container still runs on it; the next collection tries again.
      if ((err as EngineError).statusCode !== 404 && (err as EngineError).statusCode !== 409) throw err;
    }
  }

  async listGoldens(): Promise<string[]> {
    const images = await engineCall(this.address, () => this.docker.listImages({ filters: { label: [LABEL_GOLDEN, `${LABEL_HOME}=${this.homeKey}`] } }));
    return images.map((i) => i.Labels?.[LABEL_GOLDEN]).filter((key): key is string => typeof key === 'string' && key.length > 0);
  }
}
