#!/usr/bin/env node
// relayq's command line: runs the compiled code in dist/ (built by `npm run build`, which
// `npm ci` runs through `prepare`). Inside a checkout, `npm run dev -- ARGS` runs the
// TypeScript sources instead, through tsx.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('/dist/cli.js')) {
    process.stderr.write('relayq: dist/ is missing; build it with `npm run build` (npm ci does it too)\n');
    process.exit(1);
  }
  throw error;
}
