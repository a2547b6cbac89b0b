import { sql, type Table } from 'drizzle-orm'

/** The tables the audit reads, as each dialect's schema defines them. */
interface AuditedTables {
  users: Table
  chats: Table
  ledger: Table
}

/**
 * The audit's checks of chats, in SQL both dialects run: no chat was charged more than it held (the schema's check
 * refuses it too, so this finds rows written around it, e.g. restored from elsewhere), and every chat's ledger rows add
 * up to its charge: the hold less the `settle` credit for a settled chat, the hold and its refund (nothing) for a
 * failed one, the hold for a pending one. Ledger rows of deleted chats have no chat to check against.
 */
export function chatMismatchQueries({ users, chats, ledger }: AuditedTables) {
  const overHold = sql`
    select 'over_hold' as kind, u.username, c.id as "chatId", c.hold, c.cost
    from ${chats} c join ${users} u on u.id = c.user_id
    where c.cost > c.hold
    order by c.id`
  const charged = sql`case when c.status = 'failed' then 0 else c.cost end`
  const ledgerCharge = sql`coalesce(-sum(l.delta), 0)`
  const charge = sql`
    select 'charge' as kind, u.username, c.id as "chatId", ${charged} as cost, ${ledgerCharge} as "ledgerSum"
    from ${chats} c join ${users} u on u.id = c.user_id left join ${ledger} l on l.chat_id = c.id
    group by c.id, u.username, c.status, c.cost
    having ${ledgerCharge} != ${charged}
    order by c.id`
  return [overHold, charge]
}
