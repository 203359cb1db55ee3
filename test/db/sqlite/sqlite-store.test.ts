// The SQLite adapter through the Store contract (../store-contract.ts) and
// its replica half (../replica-contract.ts), on a real file, plus what is this
// adapter's own (its instance lock: one gateway per file).
import { join } from 'node:path'
import t from 'tap'
import { openSqliteStore } from '../../../src/db/sqlite/sqlite-store.js'
import { TestClock } from '../../helper.js'
import { replicaContract } from '../replica-contract.js'
import { storeContract, type OpenStore } from '../store-contract.js'
import { subjectLineContract } from '../subject-line-contract.js'

const open: OpenStore = async (t, clock, where = join(t.testdir(), 'hookgate.db')) => {
  const store = await openSqliteStore({ path: where }, clock)
  t.teardown(() => store.close())
  return { store, where }
}

storeContract(t, open)
replicaContract(t, open)
subjectLineContract(t, open)

t.test('the SQLite store says it is exclusive: at boot every lease is a dead process\'s', async (t) => {
  t.equal((await open(t, new TestClock())).store.exclusive, true)
})

t.test('a second store on the same file is refused while the first is open', async (t) => {
  const clock = new TestClock()
  const { where } = await open(t, clock)
  await t.rejects(openSqliteStore({ path: where }, clock), { code: 'HG_ERR_STORAGE_IN_USE' })
})
