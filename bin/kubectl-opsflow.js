#!/usr/bin/env node
// `kubectl opsflow …`: the opsflow command as a kubectl plugin. kubectl runs any executable named
// kubectl-<name> on PATH (npm links this file as `kubectl-opsflow`, package.json bin).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/starter/cli/main.ts', import.meta.url).href);
