import { BadRequestError } from '../errors/index.ts';
import { refNameProblem } from '../source/index.ts';

/**
 * A ref a write-back reads or moves, checked as git's check-ref-format would, before isomorphic-git joins it onto
 * the git directory: `refs/heads/../../config` is not a ref, and `run.lock` would be written where git keeps the lock
 * of `run` (and later cleared as a stale lock). A 400 naming the rule, not a git library's exception.
 */
export function checkRefName(name: string, what = 'ref'): string {
  const problem = refNameProblem(name);
  if (problem === undefined) return name;
  throw new BadRequestError(`${what} ${JSON.stringify(name)} is not a valid git ref name: ${problem}`, {
    details: [{ code: 'INVALID_REF', message: `${JSON.stringify(name)}: ${problem}`, field: 'ref' }],
  });
}
