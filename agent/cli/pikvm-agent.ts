#!/usr/bin/env node
/**
 * The `pikvm-agent` executable (package.json `bin`): the daemon and every client, shim and tool in
 * one command, dispatched from the table in ./commands.ts.
 */
import { dispatch } from './dispatch';

dispatch(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => (process.exitCode = code),
);
