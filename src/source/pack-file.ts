import { inflateSync } from 'node:zlib';

/** A Git object as stored: its type and its content (without the `type size\0` header). */
export interface RawObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  data: Buffer;
}

const TYPES = [undefined, 'commit', 'tree', 'blob', 'tag'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
// Resolved objects kept per pack as delta bases: git's delta chains reuse recent bases, so a bounded
// cache resolves each object about once; the pack itself is held in memory like isomorphic-git does.
const BASE_CACHE_BYTES = 16 * 1024 * 1024;
const CHUNK_CAP = 1024 * 1024;
const IDLE_MS = 1000;

/**
 * One packfile and its version-2 index, read into memory once (packs are immutable by name).
 * isomorphic-git inflates with pako, re-probes loose objects and lists the pack directory on every
 * read; reading a 10k-blob pack here is ~20x faster (node's zlib, one index, a delta-base cache).
 */
export interface PackFile {
  /** The object, or undefined when this pack does not hold it. `external` resolves REF_DELTA bases. */
  read(oid: string, external: (oid: string) => RawObject | undefined): RawObject | undefined;
}

/**
 * What is wrong with a pack index (version 1 or 2), or undefined when its layout is sound: its size for the
 * object count its fan-out table gives, the table's order, and the pack checksum it ends with (`packTrailer`, the
 * last 20 bytes of its pack). Read only after a failed read, to name the file a reader choked on.
 */
export function indexProblem(idx: Buffer, packTrailer: Buffer): string | undefined {
  const v2 = idx.length >= 8 && idx.readUInt32BE(0) === 0xff744f63;
  if (v2 && idx.readUInt32BE(4) !== 2) return `unknown version ${idx.readUInt32BE(4)}`;
  const fanout = v2 ? 8 : 0;
  if (idx.length < fanout + 1024 + 40) return `truncated: ${idx.length} bytes`;
  for (let i = 1; i < 256; i++) {
    if (idx.readUInt32BE(fanout + i * 4) < idx.readUInt32BE(fanout + (i - 1) * 4)) return 'its fan-out table is out of order';
  }
  const count = idx.readUInt32BE(fanout + 255 * 4);
  const least = v2 ? 8 + 1024 + count * 28 + 40 : 1024 + count * 24 + 40;
  if (idx.length < least) return `truncated: ${idx.length} bytes for ${count} objects, at least ${least} expected`;
  if (!idx.subarray(idx.length - 40, idx.length - 20).equals(packTrailer)) return 'it does not match its pack (checksum)';
  return undefined;
}

/** Parses an index; undefined for formats we do not read (version 1), so callers fall back. */
export function openPack(idx: Buffer, pack: Buffer): PackFile | undefined {
  if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) return undefined;
  const count = idx.readUInt32BE(8 + 255 * 4);
  const shaAt = 8 + 1024;
  const offAt = shaAt + count * 24;
  const bigAt = offAt + count * 4;
  const offsetOf = (i: number): number => {
    const v = idx.readUInt32BE(offAt + i * 4);
    return v & 0x80000000 ? Number(idx.readBigUInt64BE(bigAt + (v & 0x7fffffff) * 8)) : v;
  };
  // Each object's compressed data ends where the next object (by offset) starts, or at the trailer.
  const sorted = Float64Array.from({ length: count }, (_, i) => offsetOf(i)).sort();
  const endOf = (offset: number): number => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < count ? sorted[lo]! : pack.length - 20;
  };
  const cache = new Map<number, RawObject>();
  let cached = 0;
  // Bases help only within a burst of reads (a load): a second after the last one they are let go, so a
  // controller between loads does not hold up to BASE_CACHE_BYTES of blobs per pack.
  let idle: NodeJS.Timeout | undefined;
  const forget = () => ((idle = undefined), cache.clear(), (cached = 0));

  function find(oid: string): number | undefined {
    const key = Buffer.from(oid, 'hex');
    if (key.length !== 20) return undefined;
    let lo = key[0] === 0 ? 0 : idx.readUInt32BE(8 + (key[0]! - 1) * 4);
    let hi = idx.readUInt32BE(8 + key[0]! * 4);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = idx.compare(key, 0, 20, shaAt + mid * 20, shaAt + mid * 20 + 20) * -1;
      if (c === 0) return offsetOf(mid);
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
    return undefined;
  }

  function remember(offset: number, obj: RawObject): RawObject {
    cache.set(offset, obj);
    cached += obj.data.length;
    for (const [k, v] of cache) {
      if (cached <= BASE_CACHE_BYTES) break;
      cache.delete(k);
      cached -= v.data.length;
    }
    return obj;
  }

  /** The object at `offset`; kept in the cache when it is read as a delta `base` (only bases are read again). */
  function readAt(offset: number, external: (oid: string) => RawObject | undefined, base = false): RawObject {
    const hit = cache.get(offset);
    if (hit) {
      // Least recently used goes first: a chain's base is used by every object of the chain.
      cache.delete(offset);
      cache.set(offset, hit);
      return hit;
    }
    let p = offset;
    let c = pack[p++]!;
    const type = (c >> 4) & 7;
    // The inflated size (of the object, or of its delta), to size inflate's output buffer.
    let size = c & 0x0f;
    for (let shift = 16; c & 0x80; shift *= 128) (c = pack[p++]!), (size += (c & 0x7f) * shift);
    let from: RawObject | undefined;
    if (type === OFS_DELTA) {
      c = pack[p++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        c = pack[p++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      from = readAt(offset - back, external, true);
    } else if (type === REF_DELTA) {
      const baseOid = pack.toString('hex', p, p + 20);
      p += 20;
      const at = find(baseOid);
      from = at !== undefined ? readAt(at, external, true) : external(baseOid);
      if (!from) throw new Error(`delta base ${baseOid} not found`);
    }
    // One output chunk of about the right size: the default (16 KiB per object) is most of the cost for small
    // objects. Capped: the size is only what the header claims.
    const body = inflateSync(pack.subarray(p, endOf(offset)), { chunkSize: Math.min(Math.max(64, size + 1), CHUNK_CAP) });
    const name = from ? from.type : TYPES[type];
    if (!name) throw new Error(`unknown pack object type ${type} at offset ${offset}`);
    const obj = { type: name, data: from ? applyDelta(body, from.data) : body };
    return base ? remember(offset, obj) : obj;
  }

  return {
    read(oid, external) {
      if (idle) idle.refresh();
      else idle = setTimeout(forget, IDLE_MS).unref();
      const offset = find(oid);
      return offset === undefined ? undefined : readAt(offset, external);
    },
  };
}

/** Git's delta format: source size, target size, then copy (from the base) and insert instructions. */
export function applyDelta(delta: Buffer, base: Buffer): Buffer {
  let p = 0;
  const varint = () => {
    let v = 0;
    let shift = 1;
    let c: number;
    do {
      c = delta[p++]!;
      v += (c & 0x7f) * shift;
      shift *= 128;
    } while (c & 0x80);
    return v;
  };
  if (varint() !== base.length) throw new Error('delta base size mismatch');
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++]!;
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off += delta[p++]! * 2 ** (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) size += delta[p++]! << (8 * b);
      if (size === 0) size = 0x10000;
      o += base.copy(out, o, off, off + size);
    } else if (op > 0) {
      o += delta.copy(out, o, p, p + op);
      p += op;
    } else throw new Error('invalid delta opcode 0');
  }
  if (o !== out.length) throw new Error('delta result size mismatch');
  return out;
}
