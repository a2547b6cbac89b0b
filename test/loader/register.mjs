// `node --import ./test/loader/register.mjs`: runs the TypeScript sources as they are, for the tests (tap's node-arg)
// and the server processes they start.
import { register } from 'node:module'

register('./typescript-hooks.mjs', import.meta.url)
