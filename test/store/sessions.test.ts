import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { RefreshRotation } from '../../src/db/store.js'
import { backends } from './backends.js'
import { createUser, HOUR, newSession, sortedBy, startedSession } from './fixtures.js'

function rotation(
  session: { userId: number; sessionId: string; refreshJti: string },
  fields: Partial<RefreshRotation> = {}
) {
  const now = Date.now()
  return {
    userId: session.userId,
    sessionId: session.sessionId,
    presentedJti: session.refreshJti,
    nextJti: randomUUID(),
    nextExpiresAt: now + HOUR,
    sessionMaxAgeMs: 24 * HOUR,
    now,
    ...fields
  }
}

for (const backend of backends) {
  t.test(`${backend.name}: a session starts with its refresh token and names its user`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const session = await startedSession(store, userId, { now: 5 })
    t.same(await state.sessions(), [{ id: session.sessionId, userId, createdAt: 5, revokedAt: null }])
    t.same(await state.refreshTokens(), [
      { jti: session.refreshJti, sessionId: session.sessionId, expiresAt: session.refreshExpiresAt, spentAt: null }
    ])
    t.same(await store.findSessionUser(userId, session.sessionId), { id: userId, username: 'alice', isAdmin: false })
    t.equal(await store.findSessionUser(userId, randomUUID()), undefined, 'an unknown session names nobody')
    t.equal(await store.refreshTokenState(session.refreshJti, session.sessionId), 'usable')
  })

  t.test(`${backend.name}: a session started with a password hash upgrade stores the new hash`, async (t) => {
    const { store } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    await startedSession(store, userId, { upgradedPasswordHash: 'stronger hash' })
    t.equal(await store.findPasswordHash(userId), 'stronger hash')
  })

  t.test(`${backend.name}: a session is refused, and nothing stored, after the credentials changed`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const kept = await startedSession(store, userId)
    const { credentialsVersion } = (await store.findUserForLogin('alice'))!
    t.equal(await store.changePassword({ userId, passwordHash: 'new hash', keepSessionId: kept.sessionId, now: 1 }), 0)
    const late = newSession(userId, { credentialsVersion, upgradedPasswordHash: 'upgraded old hash' })
    t.equal(await store.startSession(late), false)
    t.equal(await store.findPasswordHash(userId), 'new hash', 'the upgrade of the old hash was not stored')
    t.same(
      (await state.sessions()).map(({ id }) => id),
      [kept.sessionId]
    )
    t.equal((await state.user('alice')).credentialsVersion, credentialsVersion + 1)
  })

  t.test(`${backend.name}: a session is refused, and nothing stored, after a deactivation`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const { credentialsVersion } = (await store.findUserForLogin('alice'))!
    await store.setAccountActive({ userId, isActive: false, now: 1 })
    t.equal(await store.startSession(newSession(userId, { credentialsVersion })), false)
    await store.setAccountActive({ userId, isActive: true, now: 2 })
    t.equal(await store.startSession(newSession(userId, { credentialsVersion })), false, 'also once reactivated')
    t.same(await state.sessions(), [])
    t.same(await state.refreshTokens(), [])
  })

  t.test(`${backend.name}: a rotation spends the token and records the next, cut to the login's end`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const session = await startedSession(store, userId, { now: 1000 })
    const next = rotation(session, { nextExpiresAt: 9000, sessionMaxAgeMs: 5000, now: 2000 })
    t.same(await store.rotateRefreshToken(next), { outcome: 'rotated', refreshExpiresAt: 6000, sessionEndsAt: 6000 })
    t.same(
      sortedBy(await state.refreshTokens(), 'jti'),
      sortedBy(
        [
          { jti: session.refreshJti, sessionId: session.sessionId, expiresAt: session.refreshExpiresAt, spentAt: 2000 },
          { jti: next.nextJti, sessionId: session.sessionId, expiresAt: 6000, spentAt: null }
        ],
        'jti'
      )
    )
    t.equal(await store.refreshTokenState(session.refreshJti, session.sessionId), 'spent')
    t.equal(await store.refreshTokenState(next.nextJti, session.sessionId), 'usable')
  })

  t.test(`${backend.name}: a rotation is invalid for an unknown, expired or ended token`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const session = await startedSession(store, userId, { now: 1000, refreshExpiresAt: 5000 })
    const tokensBefore = await state.refreshTokens()
    t.same(await store.rotateRefreshToken(rotation(session, { presentedJti: randomUUID(), now: 2000 })), {
      outcome: 'invalid'
    })
    t.same(await store.rotateRefreshToken(rotation(session, { userId: userId + 1, now: 2000 })), { outcome: 'invalid' })
    t.same(await store.rotateRefreshToken(rotation(session, { now: 5000 })), { outcome: 'invalid' }, 'expired')
    t.same(
      await store.rotateRefreshToken(rotation(session, { sessionMaxAgeMs: 500, now: 2000 })),
      {
        outcome: 'invalid'
      },
      'past the login’s absolute end'
    )
    t.same(await state.refreshTokens(), tokensBefore)
    t.same((await state.sessions())[0]!.revokedAt, null, 'an invalid token revokes nothing')
  })

  t.test(
    `${backend.name}: of two simultaneous rotations of one token, from two instances, one rotates and the other revokes the session`,
    async (t) => {
      const { store, state, openAnother } = await backend.open(t)
      const other = await openAnother()
      const userId = await createUser(store, 'alice')
      for (let trial = 0; trial < 20; trial++) {
        const session = await startedSession(store, userId)
        const [first, second] = [rotation(session), rotation(session)]
        const outcomes = await Promise.all([store.rotateRefreshToken(first), other.rotateRefreshToken(second)])
        t.same(outcomes.map(({ outcome }) => outcome).sort(), ['reused', 'rotated'], `trial ${trial}`)
        const rotated = outcomes[0]!.outcome === 'rotated' ? first : second
        t.equal(await store.refreshTokenState(rotated.nextJti, session.sessionId), 'revoked', 'its new token too')
        t.equal(await store.findSessionUser(userId, session.sessionId), undefined)
        t.not((await state.sessions()).find(({ id }) => id === session.sessionId)!.revokedAt, null)
      }
    }
  )

  t.test(`${backend.name}: a reused token revokes the session`, async (t) => {
    const { store } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const session = await startedSession(store, userId)
    await store.rotateRefreshToken(rotation(session))
    t.same(await store.rotateRefreshToken(rotation(session)), { outcome: 'reused' })
    t.equal(await store.refreshTokenState(session.refreshJti, session.sessionId), 'revoked')
    t.same(
      await store.rotateRefreshToken(rotation(session)),
      { outcome: 'invalid' },
      'a revoked session rotates no more'
    )
  })

  t.test(
    `${backend.name}: revoking a session ends it once; revoking a user's sessions ends all live ones`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const alice = await createUser(store, 'alice')
      const bob = await createUser(store, 'bob')
      const [one, two, three] = [
        await startedSession(store, alice),
        await startedSession(store, alice),
        await startedSession(store, alice)
      ]
      const bobs = await startedSession(store, bob)
      t.equal(await store.revokeSession(one!.sessionId, 10), true)
      t.equal(await store.revokeSession(one!.sessionId, 20), false, 'already ended')
      t.equal(await store.revokeUserSessions(alice, 30), 2)
      t.equal(await store.revokeUserSessions(alice, 40), 0)
      t.same(
        sortedBy(
          (await state.sessions()).map(({ id, revokedAt }) => ({ id, revokedAt })),
          'id'
        ),
        sortedBy(
          [
            { id: one!.sessionId, revokedAt: 10 },
            { id: two!.sessionId, revokedAt: 30 },
            { id: three!.sessionId, revokedAt: 30 },
            { id: bobs.sessionId, revokedAt: null }
          ],
          'id'
        )
      )
      t.equal(await store.refreshTokenState(two!.refreshJti, two!.sessionId), 'revoked')
      t.equal(await store.refreshTokenState(bobs.refreshJti, one!.sessionId), 'revoked', 'a token of another session')
    }
  )

  t.test(`${backend.name}: a password change keeps the current login and ends the others`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const current = await startedSession(store, userId)
    const others = [await startedSession(store, userId), await startedSession(store, userId)]
    t.equal(await store.changePassword({ userId, passwordHash: 'new', keepSessionId: current.sessionId, now: 50 }), 2)
    t.equal(await store.findPasswordHash(userId), 'new')
    t.same(
      sortedBy(
        (await state.sessions()).map(({ id, revokedAt }) => ({ id, revokedAt })),
        'id'
      ),
      sortedBy(
        [
          { id: current.sessionId, revokedAt: null },
          ...others.map(({ sessionId }) => ({ id: sessionId, revokedAt: 50 }))
        ],
        'id'
      )
    )
    t.ok(await store.findSessionUser(userId, current.sessionId))
    for (const other of others) t.equal(await store.findSessionUser(userId, other.sessionId), undefined)
    t.equal(await store.findPasswordHash(userId + 1000), undefined, 'an unknown user has no hash')
  })

  t.test(`${backend.name}: a password change without a login to keep ends every login of the user`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const bobs = await startedSession(store, await createUser(store, 'bob'))
    const sessions = [await startedSession(store, userId), await startedSession(store, userId)]
    t.equal(await store.changePassword({ userId, passwordHash: 'reset', now: 70 }), 2)
    t.equal(await store.findPasswordHash(userId), 'reset')
    t.match(await state.user('alice'), { credentialsVersion: 1 })
    for (const { sessionId } of sessions) t.equal(await store.findSessionUser(userId, sessionId), undefined)
    t.ok(await store.findSessionUser(bobs.userId, bobs.sessionId), "bob's login is untouched")
  })

  t.test(`${backend.name}: a session of a deactivated user names nobody`, async (t) => {
    const { store } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const session = await startedSession(store, userId)
    t.ok(await store.findSessionUser(userId, session.sessionId))
    await store.setAccountActive({ userId, isActive: false, now: 1 })
    t.equal(await store.findSessionUser(userId, session.sessionId), undefined)
  })
}
