import { Ajv } from 'ajv'
import { NoteSchema } from '../modules/admin/schemas.js'
import { PasswordSchema, UsernameSchema } from '../modules/auth/schemas.js'

// The API's own rules, checked by the same validator the API uses (TypeBox's checker lacks Unicode classes).
const ajv = new Ajv({ strict: false })

export const isValidUsername = ajv.compile(UsernameSchema)
export const isValidPassword = ajv.compile(PasswordSchema)
export const isValidNote = ajv.compile(NoteSchema)

export { NoteSchema, PasswordSchema, UsernameSchema }
