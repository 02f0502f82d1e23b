#!/usr/bin/env node
// The `opsflow` command (package.json bin): registers tsx and runs the TypeScript entry point.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/starter/cli/main.ts', import.meta.url).href);
