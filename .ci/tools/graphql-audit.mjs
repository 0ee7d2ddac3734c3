// graphql-http's audit of the GraphQL-over-HTTP spec against a running server.
// Every MUST and SHOULD audit must pass; MAY audits are reported only.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
let failed = 0;
for (const r of results) {
  if (r.status === 'ok') continue;
  const optional = r.id.startsWith('MAY') || r.name.startsWith('MAY');
  if (!optional) failed++;
  console.log(`${optional ? 'note' : 'FAIL'} ${r.name}: ${r.reason ?? ''}`);
}
console.log(`graphql-http audit: ${results.length} audits, ${failed} MUST/SHOULD not passing`);
process.exit(failed ? 1 : 0);
