#!/usr/bin/env node
// `faultline explain <correlation-id> [--jaeger URL]`: see packages/stack/src/explain.ts.
import { faultlineCli } from '../dist/explain.js';

faultlineCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
