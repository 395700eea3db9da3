import type { Engine } from '../../engines/engine.js';
import type { RuntimeSnapshots } from '../runtime.js';
import type { BlockClones } from './block-clones.js';
import type { Images } from './images.js';

/**
 * The Docker runtime's golden snapshots: directories where copies run on block-level clones,
 * else committed images. Listing and removing see both, so snapshots made before the data
 * directory moved (or after) are still collected.
 */
export function dockerGoldens(images: Images, clones: BlockClones, promote: RuntimeSnapshots['promote'], flavor: (engine: Engine) => string): RuntimeSnapshots {
  return {
    promote,
    has: async (key) => (clones.active ? clones.hasGolden(key) : images.exists(images.golden(key))),
    remove: async (key) => {
      await clones.removeGolden(key);
      await images.removeGolden(key);
    },
    list: async () => [...new Set([...clones.listGoldens(), ...(await images.listGoldens())])],
    size: async (key) => (clones.hasGolden(key) ? clones.goldenSize(key) : ((await images.inspect(images.golden(key)))?.Size ?? null)),
    flavor,
    cloneMethod: async () => (clones.active ? clones.describe() : { method: 'image', why: 'image: each copy is a container of the golden image' }),
  };
}
