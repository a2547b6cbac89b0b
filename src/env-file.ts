import { existsSync } from 'node:fs'

export const ENV_FILE = '.env'

/**
 * Loads `.env` from the working directory into `process.env` when there is one; a variable already set in the
 * environment keeps its value, even an empty one. Only the entry points call this: the configuration stays a pure
 * function of the variables it is given.
 */
export function loadEnvFile(path = ENV_FILE) {
  if (existsSync(path)) process.loadEnvFile(path)
}
