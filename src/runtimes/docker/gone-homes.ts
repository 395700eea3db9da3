import type Docker from 'dockerode';
import { goneFromHere } from '../home-mark.js';
import type { GoneHomeLeftover } from '../runtime.js';
import type { EngineAddress } from './docker-endpoint.js';
import { engineCall, type EngineError } from './engine-call.js';
import { LABEL_GOLDEN, LABEL_HOME_PATH, LABEL_MANAGED, markOfLabels } from './labels.js';

interface Found extends GoneHomeLeftover {
  kind: 'container' | 'image';
  id: string;
}

/**
 * Containers and golden images of homes that are gone. An engine may serve homes of many machines
 * and containers: each resource is judged by its own mark (labels.ts), so only those marked from
 * here are ever judged here. Ones made before ditto marked them carry none and are left alone.
 */
export class GoneHomeResources {
  constructor(
    private readonly docker: Docker,
    private readonly address: EngineAddress,
  ) {}

  /** Containers first: an image goes only once no container runs on it. */
  async find(): Promise<Found[]> {
    const containers = await engineCall(this.address, () => this.docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, LABEL_HOME_PATH] } }));
    const images = await engineCall(this.address, () => this.docker.listImages({ filters: { label: [LABEL_GOLDEN, LABEL_HOME_PATH] } }));
    const found: Found[] = [];
    for (const c of containers) {
      const mark = markOfLabels(c.Labels);
      if (mark && goneFromHere([mark])) found.push({ kind: 'container', id: c.Id, what: `container ${c.Names[0]?.replace(/^\//, '') ?? c.Id}`, homes: [mark.home], bytes: null });
    }
    for (const image of images) {
      const mark = markOfLabels(image.Labels);
      if (mark && goneFromHere([mark])) found.push({ kind: 'image', id: image.Id, what: `image ${image.RepoTags?.[0] ?? image.Id}`, homes: [mark.home], bytes: image.Size });
    }
    return found;
  }

  /** Removes what find() finds; returns what went. */
  async sweep(): Promise<GoneHomeLeftover[]> {
    const removed: GoneHomeLeftover[] = [];
    for (const { kind, id, ...leftover } of await this.find()) {
      try {
        // `v`: a container's anonymous data volume goes with it.
        await engineCall(this.address, () => (kind === 'container' ? this.docker.getContainer(id).remove({ force: true, v: true }) : this.docker.getImage(id).remove()));
        removed.push(leftover);
      } catch (err) {
        // 404: gone already. 409: a container still uses the image, or one is being removed: the next pass.
        const status = (err as EngineError).statusCode;
        if (status !== 404 && status !== 409) throw err;
      }
    }
    return removed;
  }
}
