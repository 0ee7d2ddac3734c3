// The live schema (by introspection over HTTP) printed with graphql-js must equal
// schema.graphql printed the same way.
import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema } from 'graphql';

const [url, file] = process.argv.slice(2);
const res = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify({ query: getIntrospectionQuery() }),
});
const body = await res.json();
if (!body.data) {
  console.error('introspection failed:', JSON.stringify(body.errors));
  process.exit(1);
}
const live = printSchema(buildClientSchema(body.data));
const published = printSchema(buildSchema(readFileSync(file, 'utf8')));
if (live !== published) {
  const a = live.split('\n');
  const b = published.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  console.error(`schema.graphql differs from the live schema at line ${i + 1}:\n  live: ${a[i]}\n  file: ${b[i]}`);
  process.exit(1);
}
console.log('SDL drift: none (the live schema equals schema.graphql)');
