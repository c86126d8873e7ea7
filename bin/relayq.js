#!/usr/bin/env node
// relayq's command line. Sources are TypeScript, loaded through tsx so that no build step
// stands between `npm ci` and `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
