// Summarizes a .cpuprofile: self and inclusive time per function (file:line), the heaviest first.
// `node --import tsx bench/sync-server/top-frames.ts FILE [N]`
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[]; hitCount?: number }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const [file, n = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: top-frames.ts FILE [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const label = (node: Node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(src|node_modules|bench|test)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
const selfBy = new Map<string, number>();
const totalBy = new Map<string, number>();
for (const [id, us] of self) {
  selfBy.set(label(byId.get(id)!), (selfBy.get(label(byId.get(id)!)) ?? 0) + us);
  // Inclusive: every distinct frame on the stack gets the sample once (recursion is not counted twice).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (!seen.has(l)) totalBy.set(l, (totalBy.get(l) ?? 0) + us);
    seen.add(l);
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
console.log(`profile: ${(total / 1000).toFixed(0)} ms sampled`);
console.log('self ms   | function');
for (const [l, us] of top(selfBy)) console.log(`${(us / 1000).toFixed(0).padStart(9)} | ${l}`);
console.log('incl ms   | function (src/ only)');
for (const [l, us] of top(new Map([...totalBy].filter(([l]) => l.includes(' src/'))))) console.log(`${(us / 1000).toFixed(0).padStart(9)} | ${l}`);
