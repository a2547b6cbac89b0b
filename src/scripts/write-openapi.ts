import { writeFile } from 'node:fs/promises'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { withJwtSecret } from '../jwt-secret.js'
import { OPENAPI_PATH, renderOpenApi } from '../openapi-document.js'

const app = await buildApp(withJwtSecret(loadConfig({ DATABASE_URL: ':memory:', LOG_LEVEL: 'silent' })))
await app.ready()
await writeFile(OPENAPI_PATH, renderOpenApi(app.swagger()))
await app.close()
console.log(`wrote ${OPENAPI_PATH}`)
