/**
 * The author and committer of a commit Kradle writes, as git itself would write them. A name or address comes
 * from outside (a token's subject, an agent's author): `<`, `>` or a newline in it would end the name early or
 * start a new header, and the commit fails `git fsck` (and isomorphic-git, which reads every later write's
 * parent, cannot parse it). So, as git's ident.c does (strbuf_addstr_without_crud), the characters git treats
 * as crud are trimmed from both ends and `<`, `>` and newlines dropped from the rest.
 */

const ENDS = /^[\x00-\x20.,:;<>"'\\]+|[\x00-\x20.,:;<>"'\\]+$/g;

export function cleanIdent(value: string): string {
  return value.replace(ENDS, '').replace(/[\n<>]/g, '');
}

export interface CommitIdent {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

/** A clean ident; a name with nothing left (git refuses an empty one) falls back to the address, then to Kradle. */
export function commitIdent(who: { name: string; email: string; timestamp?: number }): CommitIdent {
  const email = cleanIdent(who.email);
  return { name: cleanIdent(who.name) || email || 'Kradle', email, timestamp: who.timestamp ?? Math.floor(Date.now() / 1000), timezoneOffset: 0 };
}
