import { Type, type TObject } from '@sinclair/typebox'

export const BearerSecurity = [{ bearerAuth: [] }]

/**
 * Free text that is not only whitespace and holds no NUL (U+0000), which PostgreSQL's `text` cannot store: the same
 * rule on every store. One pass each, with no backtracking over the text.
 */
export const VISIBLE_TEXT_PATTERN = '^(?![\\s\\S]*\\u0000)[\\s\\S]*?\\S'

export const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Makes retries safe: the same key with the same body within 24 hours replays the first answer (with ' +
        '`Idempotent-Replayed: true`) and charges nothing more; another body is 422; a retry while the first is ' +
        'still running is 409. Keys are yours alone.',
      examples: ['3f2b8c1e-6a4d-4e9b-9c1a-7d2e5f8b0a13']
    })
  )
})

export const DEFAULT_PAGE_SIZE = 20

/** Keyset pagination: the query takes the previous page's `next_cursor` (in the given format) and a page size. */
export function pageQuerySchema(cursorPattern: string, cursorExample: string) {
  return Type.Object(
    {
      cursor: Type.Optional(
        Type.String({
          pattern: cursorPattern,
          description: 'Opaque cursor from the previous page’s `next_cursor`',
          examples: [cursorExample]
        })
      ),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE, description: 'Page size', examples: [20] })
      )
    },
    { additionalProperties: false }
  )
}

export function pageSchema<Item extends TObject>(item: Item, cursorExample: string, what: string, order: string) {
  return Type.Object(
    {
      items: Type.Array(item, { description: `Your ${what}, ${order}` }),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page',
        examples: [cursorExample]
      })
    },
    { description: `A page of your ${what}` }
  )
}
