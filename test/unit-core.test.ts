// Unit tests of the stack's building blocks, through build/unit.wasm (test/assembly/unit.ts):
// Internet checksum vectors (RFC 1071), sequence-number wraparound, fixed pools, header and
// option parse/emit round trips, and SipHash-2-4's reference vector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type U = Record<string, any> & { memory: WebAssembly.Memory };
const wasm = readFileSync(new URL('../build/unit.wasm', import.meta.url));
const u = new WebAssembly.Instance(new WebAssembly.Module(wasm), {}).exports as unknown as U;
const mem = () => new Uint8Array(u.memory.buffer);
const put = (bytes: number[] | Uint8Array, at = u.buf()) => { mem().set(bytes, at); return at; };
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

test('checksum: RFC 1071 §3 example and a real IPv4 header', () => {
  const p = put([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(u.csum(p, 8), 0x220d);                     // ~0xddf2
  const hdr = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  const q = put(hdr);
  assert.equal(u.csum(q, 20), 0, 'a header with a correct checksum sums to zero');
  mem()[q + 10] = 0; mem()[q + 11] = 0;
  assert.equal(u.csum(q, 20), 0xb861);
});

test('checksum: odd lengths, all lengths to 64 agree with a byte-wise reference, split sums', () => {
  const ref = (b: Uint8Array) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  };
  let x = 7;
  for (let len = 0; len <= 64; len++) {
    const b = Uint8Array.from({ length: len }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    const p = put(b);
    assert.equal(u.csum(p, len), ref(b), `len ${len}`);
    if (len >= 2) assert.equal(u.csum_split(p, len, (len >> 1) & ~1), ref(b), `split ${len}`);
  }
  const ones = put(new Uint8Array(40).fill(0xff));
  assert.equal(u.csum(ones, 40), 0, 'all-ones folds to 0xffff, complement 0');
  // long runs carry out of the 64-bit accumulator on almost every word: frame-sized inputs, all-0xff
  // and high-byte-heavy data, with 0 to 7 words and every byte tail after the 64-byte loop
  for (const len of [20, 1499, 1500, 1514, 1480, 1481, 1487, 1493, 1511, 1520, 1535, 1472]) {
    for (const fill of ['ff', 'hi', 'rand']) {
      const b = Uint8Array.from({ length: len }, () => (fill === 'ff' ? 0xff : fill === 'hi' ? 0xf0 | ((x = (x * 1103515245 + 12345) >>> 0) >>> 28)
        : (x = (x * 1103515245 + 12345) >>> 0) >>> 24));
      const p = put(b);
      assert.equal(u.csum(p, len), ref(b), `len ${len} ${fill}`);
      if (len > 734) assert.equal(u.csum_split(p, len, 734), ref(b), `split ${len} ${fill}`);
    }
  }
});

test('TCP checksum with pseudo-header verifies to 0 once stored', () => {
  const seg = put(new Uint8Array(24));
  u.tcp_emit(seg, 1234, 80, 0x01020304, 0, 0x02, 65535, 20);
  mem().set([1, 2, 3, 4], seg + 20);
  const src = 0xc0000201, dst = 0xc0000202;
  const c = u.tcsum(src, dst, 6, seg, 24);
  u.put_be16(seg + 16, c);
  assert.equal(u.tcsum(src, dst, 6, seg, 24), 0);
  mem()[seg + 21] ^= 1;
  assert.notEqual(u.tcsum(src, dst, 6, seg, 24), 0, 'a flipped bit is caught');
  // against a byte-wise reference over the pseudo-header bytes (RFC 9293 §3.1) + the segment
  const ref = (b: number[]) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  };
  const be32 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  let x = 11;
  for (const [a, d, proto, len] of [[0xc0000201, 0xc0000202, 6, 24], [0xfffffffe, 0xffffff01, 17, 1471], [0x0a000001, 0xc6336401, 6, 1460], [0xc0000201, 0xc0000202, 6, 20], [0xfffffffe, 0xffffffff, 6, 19], [0xfffffffe, 0xffffffff, 17, 21]]) {
    const b = Array.from({ length: len }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    const q = put(b);
    assert.equal(u.tcsum(a, d, proto, q, len), ref([...be32(a), ...be32(d), 0, proto, len >> 8, len & 255, ...b]), `proto ${proto} len ${len}`);
  }
});

test('sequence numbers compare modulo 2^32 (RFC 9293 §3.4)', () => {
  assert.equal(u.seq_lt(1, 2), 1);
  assert.equal(u.seq_lt(0xffffffff, 0), 1, 'wraps');
  assert.equal(u.seq_gt(0, 0xffffffff), 1);
  assert.equal(u.seq_lt(0x7fffffff, 0x80000000), 1);
  assert.equal(u.seq_leq(5, 5), 1);
  assert.equal(u.seq_geq(5, 6), 0);
  assert.equal(u.seq_in(0xfffffff0, 0xffffffe0, 0x10), 1, 'range across the wrap');
  assert.equal(u.seq_in(0x10, 0xffffffe0, 0x10), 0, 'end is exclusive');
});

test('pool: exhaustion, failures counted, free and reuse, double free ignored', () => {
  u.pool_reset();
  const got = [u.pool_alloc(), u.pool_alloc(), u.pool_alloc(), u.pool_alloc()];
  assert.deepEqual([...got].sort(), [0, 1, 2, 3]);
  assert.equal(u.pool_alloc(), -1);
  assert.equal(u.pool_failures(), 1);
  assert.equal(u.pool_used(), 4);
  assert.equal(u.pool_free(2), 1);
  assert.equal(u.pool_free(2), 0, 'double free refused');
  assert.equal(u.pool_free(99), 0, 'out of range refused');
  assert.equal(u.pool_alloc(), 2);
  assert.equal(u.pool_high(), 4);
  assert.equal(u.pool_ok(), 1);
  for (const i of got) u.pool_free(i);
  assert.equal(u.pool_used(), 0);
  assert.equal(u.pool_ok(), 1);
});

test('IPv4 header emit/parse round trip with a valid checksum', () => {
  const h = u.buf();
  u.ip_emit(h, 60, 0x1234, 64, 6, 0xc0000201, 0xc0000202, 1);
  assert.equal(u.ip_hlen(h), 20);
  assert.equal(u.ip_total(h), 60);
  assert.equal(u.ip_proto(h), 6);
  assert.equal(u.ip_src(h) >>> 0, 0xc0000201);
  assert.equal(u.ip_dst(h) >>> 0, 0xc0000202);
  assert.equal(u.ip_ttl(h), 64);
  assert.equal(u.ip_frag(h), 0, 'DF is not a fragment');
  assert.equal(u.csum(h, 20), 0);
  mem()[h + 6] = 0x20;                                      // MF
  assert.equal(u.ip_frag(h), 1);
});

test('IPv4 header emit: every byte as RFC 791 lays it out, checksum by RFC 1071, extreme and random fields', () => {
  const h = u.buf();
  const ref = (total: number, id: number, ttl: number, proto: number, src: number, dst: number, df: boolean): number[] => {
    const b = [0x45, 0, total >> 8 & 255, total & 255, id >> 8 & 255, id & 255, df ? 0x40 : 0, 0, ttl & 255, proto & 255, 0, 0,
      src >>> 24, src >>> 16 & 255, src >>> 8 & 255, src & 255, dst >>> 24, dst >>> 16 & 255, dst >>> 8 & 255, dst & 255];
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[i] << 8) | b[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b[10] = (~sum >> 8) & 255; b[11] = ~sum & 255;
    return b;
  };
  // All-ones fields make the word sum wrap: a sign-extended word in the sum gets the checksum wrong.
  const cases: [number, number, number, number, number, number, boolean][] = [
    [65535, 65535, 255, 255, 0xffffffff, 0xffffffff, true], [20, 0, 0, 0, 0, 0, false], [0x80ff, 0x8080, 128, 17, 0x80808080, 0x7fffffff, true]];
  let x = 0x12345678;
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  for (let i = 0; i < 2000; i++) cases.push([20 + rnd() % 65516, rnd() & 0xffff, rnd() & 255, rnd() & 255, rnd(), rnd(), (rnd() & 1) === 1]);
  for (const [total, id, ttl, proto, src, dst, df] of cases) {
    u.ip_emit(h, total, id, ttl, proto, src | 0, dst | 0, df ? 1 : 0);
    const got = [...mem().subarray(h, h + 20)];
    assert.deepEqual(got, ref(total, id, ttl, proto, src, dst, df), `ip_emit(${total}, ${id}, ${ttl}, ${proto}, ${src}, ${dst}, ${df})`);
  }
});

test('TCP header and options round trip', () => {
  const t = u.buf();
  const optLen = u.opts_emit_syn(t + 20, 1460, 7, 100, 200);
  assert.equal(optLen, 24);
  u.tcp_emit(t, 40000, 80, 0xfffffff0, 0x10, 0x12, 29200, 20 + optLen);
  assert.equal(u.tcp_sport(t), 40000);
  assert.equal(u.tcp_dport(t), 80);
  assert.equal(u.tcp_seq(t) >>> 0, 0xfffffff0);
  assert.equal(u.tcp_ack(t), 0x10);
  assert.equal(u.tcp_flags(t), 0x12);
  assert.equal(u.tcp_wnd(t), 29200);
  assert.equal(u.tcp_hlen(t), 20 + optLen);
  u.opts_parse(t + 20, optLen);
  assert.equal(u.opt_mss(), 1460);
  assert.equal(u.opt_wscale(), 7);
  assert.equal(u.opt_sack_ok(), 1);
  assert.equal(u.opt_has_ts(), 1);
  assert.equal(u.opt_tsval(), 100);
  assert.equal(u.opt_tsecr(), 200);
  assert.equal(u.opt_malformed(), 0);
  const ackLen = u.opts_emit_ack(t + 20, 300, 400, 1000, 2000, 3000, 4000);
  assert.equal(ackLen, 32);
  u.opts_parse(t + 20, ackLen);
  assert.equal(u.opt_tsval(), 300);
  assert.equal(u.opt_sack_count(), 2);
  assert.deepEqual([u.opt_sack_start(0), u.opt_sack_end(0), u.opt_sack_start(1), u.opt_sack_end(1)], [1000, 2000, 3000, 4000]);
});

test('options: malformed lengths stop parsing, MSS 0 and wscale > 14 are clamped', () => {
  const p = u.buf();
  put([2, 4, 0, 0], p);                                     // MSS 0
  u.opts_parse(p, 4);
  assert.equal(u.opt_mss(), 88, 'MSS 0 is raised to the minimum');
  put([3, 3, 30, 0], p);                                    // wscale 30
  u.opts_parse(p, 4);
  assert.equal(u.opt_wscale(), 14, 'RFC 7323 §2.3');
  put([8, 0, 1, 1], p);                                     // length 0
  u.opts_parse(p, 4);
  assert.equal(u.opt_malformed(), 1);
  put([8, 1, 1, 1], p);                                     // length 1
  u.opts_parse(p, 4);
  assert.equal(u.opt_malformed(), 1);
  put([2, 4, 5], p);                                        // runs past the end
  u.opts_parse(p, 3);
  assert.equal(u.opt_malformed(), 1);
  assert.equal(u.opt_mss(), 0);
  put([1, 1, 0, 2, 4, 5, 0xb4], p);                         // END stops before the MSS
  u.opts_parse(p, 7);
  assert.equal(u.opt_mss(), 0);
  assert.equal(u.opt_malformed(), 0);
});

test('ARP and Ethernet emit/parse', () => {
  const f = u.buf();
  const mac = put([2, 0, 0, 0, 0, 1], f + 200);
  const bc = put([255, 255, 255, 255, 255, 255], f + 210);
  u.eth_emit(f, bc, mac, 0x0806);
  assert.equal(u.eth_type(f), 0x0806);
  u.arp_emit(f + 14, 1, mac, 0xc0000201, bc, 0xc0000202);
  assert.equal(u.arp_ok(f + 14), 1);
  assert.equal(u.arp_oper(f + 14), 1);
  assert.equal(u.arp_spa(f + 14) >>> 0, 0xc0000201);
  assert.equal(u.arp_tpa(f + 14) >>> 0, 0xc0000202);
});

test('SipHash-2-4 reference vector (16-byte message, key 00..0f)', () => {
  const k0 = 0x0706050403020100n, k1 = 0x0f0e0d0c0b0a0908n;
  const lo = u.sip_lo(k0, k1, k0, k1) >>> 0, hi = u.sip_hi(k0, k1, k0, k1) >>> 0;
  assert.equal(((BigInt(hi) << 32n) | BigInt(lo)).toString(16), '3f2acc7f57c29bdb');
});
