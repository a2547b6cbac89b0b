/** A setting that stops start-up; the message names what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
