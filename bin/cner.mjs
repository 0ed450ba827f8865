#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, so `npx cner ...` works from a fresh clone without a build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/hosts/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
