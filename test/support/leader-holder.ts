// A second process for leader-election tests: takes the named lease on the store given as JSON options,
// prints `held` or `busy`, then keeps the lease until it is killed.
import { createStore } from '../../src/store/index.ts';

const [optionsJson = '{}', name = 'leader'] = process.argv.slice(2);
const store = createStore(JSON.parse(optionsJson));
const lease = await store.tryAcquireLeader(name);
console.log(lease ? 'held' : 'busy');
if (!lease) {
  await store.close();
} else {
  setInterval(() => undefined, 60_000);
}
