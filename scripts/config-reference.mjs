// docs/configuration.md from the config schema: scripts/config-reference.ts (which reads
// src/config/schema.ts) renders it (npm run docs:config; --stdout prints it, --check compares).
import { generatedDoc } from './generated-doc.mjs';

await generatedDoc({ entry: 'scripts/config-reference.ts', render: 'renderReference', target: 'docs/configuration.md', command: 'npm run docs:config' });
