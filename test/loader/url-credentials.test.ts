import test from 'ava';
import { createLoader } from '../../src/loader/index.ts';
import { fixtureRepo } from './fixture-repo.ts';

test('a password in a webhook URL is refused at load, and the error never repeats it', async (t) => {
  const repo = fixtureRepo('broken/credentials-in-url');
  t.teardown(repo.remove);
  const r = await createLoader().load(await repo.snapshot());
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.errors.length, 1);
  t.regex(r.errors[0]!.message, /spec\.url must not carry a user name or password; put credentials in the Secret named by spec\.secretRef/);
  t.false(JSON.stringify(r.errors).includes('hunter2'));
  t.false(JSON.stringify(r.errors).includes('bot:'));
});
