// docs/openapi.json from the host's route table: src/api/openapi.ts renders it from the routes'
// zod schemas (npm run docs:openapi; --stdout prints it, --check compares).
import { generatedDoc } from './generated-doc.mjs';

await generatedDoc({ entry: 'src/api/openapi.ts', render: 'openApiText', target: 'docs/openapi.json', command: 'npm run docs:openapi' });
