import { fileURLToPath } from 'node:url'

/** The committed contract; `npm run openapi` rewrites it and a test fails when the app drifts from it. */
export const OPENAPI_PATH = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

export function renderOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`
}
