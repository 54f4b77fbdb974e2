// MQTT 3.1.1 packets for the fake brokers of the tests (test/helpers/mqtt-fake-broker.mjs on the
// posix board, test/mqtt-as-broker.test.ts in Node): encoders and a reader that splits a byte
// stream into packets. Plain JavaScript so the board's fake broker runs under node without tsx.

/** The remaining-length varint (§2.2.3). */
export const len = (n) => { const b = []; do { let x = n & 127; n >>>= 7; if (n) x |= 128; b.push(x); } while (n); return b; };
/** A packet: first byte, remaining length, body. */
export const pkt = (first, body) => Buffer.from([first, ...len(body.length), ...body]);
export const u16 = (v) => [v >> 8, v & 255];
/** A length-prefixed UTF-8 string (§1.5.3). */
export const str = (s) => { const b = Buffer.from(s); return [...u16(b.length), ...b]; };
export const CONNACK = (sp = 0, rc = 0) => Buffer.from([0x20, 2, sp, rc]);

/** Splits a socket's byte stream into MQTT packets: { type, flags, body }. */
export function reader(sock, onPacket) {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      let i = 1, n = 0, mul = 1;
      for (;; i++) { if (i >= buf.length) return; n += (buf[i] & 127) * mul; mul *= 128; if (!(buf[i] & 128)) break; }
      if (buf.length < i + 1 + n) return;
      const p = { type: buf[0] >> 4, flags: buf[0] & 15, body: buf.subarray(i + 1, i + 1 + n) };
      buf = buf.subarray(i + 1 + n);
      onPacket(p);
    }
  });
}
