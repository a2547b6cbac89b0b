import { convertV2 } from 'openapi-to-postmanv2'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { OPENAPI_PATH } from '../openapi-document.js'
import { runnableCollection, type OpenApiDocument, type PostmanCollection } from '../postman/collection.js'

const COLLECTION_PATH = fileURLToPath(new URL('../../openapi/ai-chat-api.postman_collection.json', import.meta.url))

const text = await readFile(OPENAPI_PATH, 'utf8')
const converted = await new Promise<PostmanCollection>((resolve, reject) =>
  convertV2(
    { type: 'string', data: text },
    {
      folderStrategy: 'Tags',
      parametersResolution: 'Example',
      requestNameSource: 'Fallback',
      enableOptionalParameters: false
    },
    (error, result) => {
      const data = result?.output?.[0]?.data
      if (error) reject(error)
      else if (!result?.result || !data) reject(new Error(`openapi-to-postmanv2: ${result?.reason}`))
      else resolve(data as PostmanCollection)
    }
  )
)
const collection = runnableCollection(JSON.parse(text) as OpenApiDocument, converted)
await writeFile(COLLECTION_PATH, `${JSON.stringify(collection, null, 2)}\n`)
console.log(`wrote ${COLLECTION_PATH}`)
