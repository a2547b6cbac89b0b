#!/usr/bin/env node
// The operators' command line (src/cli/main.ts), compiled on the fly by tsx as `npm start` does for the server.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
