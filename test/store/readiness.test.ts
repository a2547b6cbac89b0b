import t from 'tap'
import { backends } from './backends.js'

for (const backend of backends) {
  t.test(`${backend.name}: a fresh store is ready with every migration applied`, async (t) => {
    const { store } = await backend.open(t)
    t.same(await store.checkReadiness(), { database: 'ok', migrations: 'ok' })
  })

  t.test(`${backend.name}: a store whose newest migration is not recorded says so`, async (t) => {
    const { store, state } = await backend.open(t)
    await state.tamper.forgetNewestMigration()
    t.same(await store.checkReadiness(), { database: 'ok', migrations: 'pending' })
    await state.tamper.forgetMigrations()
    t.same(await store.checkReadiness(), { database: 'ok', migrations: 'pending' })
  })

  t.test(`${backend.name}: a closed store is unreachable and never throws when asked`, async (t) => {
    const { store } = await backend.open(t)
    await store.close()
    t.same(await store.checkReadiness(), { database: 'unreachable', migrations: 'unknown' })
  })
}
