// MQTT inputs for the native fuzz target boards/common/apps/mqtt/fuzz/mqtt_fuzz.c, from the fuzz
// driver's seeded Rng: three generators like the frame fuzzer's — random bytes, well-formed server
// packet sequences (CONNACK, PUBLISH of every QoS with valid and odd topics, acks for the ids the
// client uses, SUBACK, UNSUBACK, PINGRESP), and mutations of those (bit flips, truncation,
// insertions, lying remaining lengths, repeated packets). Byte 0 of each input picks the target
// mode (bit 0: parser or client) and its chunking; records are [u32 LE length][bytes].
import { Rng } from '../../host/rng.ts';

export type MqttGenerator = 'random' | 'valid' | 'mutate';
export const MQTT_GENERATORS: readonly MqttGenerator[] = ['random', 'valid', 'mutate'];

const TOPICS = ['a/b', 't/x', 'x', 'a/b/c/d/e', '\u00e9/\u00fc', 'sensors/temperature/room-1'];

function bytes(rng: Rng, n: number): number[] {
  const b: number[] = [];
  for (let i = 0; i < n; i++) b.push(rng.u32() & 255);
  return b;
}

function varint(n: number): number[] {
  const b: number[] = [];
  do { let x = n & 127; n = Math.floor(n / 128); if (n) x |= 128; b.push(x); } while (n);
  return b;
}
const pkt = (first: number, body: number[]) => [first, ...varint(body.length), ...body];
const u16 = (v: number) => [(v >> 8) & 255, v & 255];

function topic(rng: Rng): number[] {
  if (rng.chance(0.9)) return [...Buffer.from(TOPICS[rng.below(TOPICS.length)])];
  return bytes(rng, rng.chance(0.5) ? rng.below(8) : rng.below(700));   // odd: empty, binary, over the buffer
}

function serverPacket(rng: Rng): number[] {
  const id = 1 + rng.below(rng.chance(0.8) ? 6 : 65535);
  switch (rng.below(9)) {
    case 0: {
      const qos = rng.below(3), t = topic(rng), dup = qos && rng.chance(0.2) ? 8 : 0;
      const payload = bytes(rng, rng.chance(0.8) ? rng.below(40) : rng.below(1200));
      return pkt(0x30 | dup | qos << 1 | (rng.chance(0.2) ? 1 : 0), [...u16(t.length), ...t, ...(qos ? u16(id) : []), ...payload]);
    }
    case 1: return pkt(0x40, u16(id));
    case 2: return pkt(0x50, u16(id));
    case 3: return pkt(0x62, u16(id));
    case 4: return pkt(0x70, u16(id));
    case 5: return pkt(0x90, [...u16(1), ...(rng.chance(0.8) ? [2, 1] : bytes(rng, 1 + rng.below(4)))]);
    case 6: return pkt(0xb0, u16(id));
    case 7: return [0xd0, 0];
    default: return [0x20, 2, rng.below(2), rng.chance(0.8) ? 0 : rng.below(7)];
  }
}

function validSequence(rng: Rng): number[] {
  const out: number[] = rng.chance(0.85) ? [0x20, 2, 0, rng.chance(0.95) ? 0 : 1 + rng.below(5)] : [];
  const n = rng.below(14);
  for (let i = 0; i < n; i++) out.push(...serverPacket(rng));
  return out;
}

function mutate(rng: Rng, b: number[]): number[] {
  const m = b.slice();
  for (let k = 1 + rng.below(4); k > 0 && m.length; k--) {
    const at = rng.below(m.length);
    switch (rng.below(6)) {
      case 0: m[at] ^= 1 << rng.below(8); break;
      case 1: m.length = at; break;                                       // truncate
      case 2: m.splice(at, 0, rng.u32() & 255); break;                    // insert
      case 3: m[at] = [0xff, 0x80, 0x7f, 0x00][rng.below(4)]; break;      // lying lengths
      case 4: m.splice(at, 0, ...m.slice(at, at + 1 + rng.below(12))); break;   // repeat
      default: m.splice(at, 1 + rng.below(3)); break;                     // delete
    }
  }
  return m;
}

/** One input: a mode byte, a send-shape byte (client mode), then the server's bytes. */
export function mqttInput(rng: Rng, gen: MqttGenerator): Uint8Array {
  const client = rng.chance(0.6);
  const mode = (rng.u32() & 0xfe) | (client ? 1 : 0);
  const head = client ? [mode, rng.chance(0.7) ? 0 : rng.u32() & 255] : [mode];
  const body = gen === 'random' ? bytes(rng, rng.below(80)) : gen === 'valid' ? validSequence(rng) : mutate(rng, validSequence(rng));
  return Uint8Array.from([...head, ...body]);
}

/** `count` records, in buffers of about 1 MiB, generators in turn. */
export function* mqttRecords(seed: number, count: number): Generator<Buffer> {
  const rng = new Rng(seed);
  let parts: Buffer[] = [], size = 0;
  for (let i = 0; i < count; i++) {
    const input = mqttInput(rng, MQTT_GENERATORS[i % MQTT_GENERATORS.length]);
    const rec = Buffer.alloc(4 + input.length);
    rec.writeUInt32LE(input.length, 0);
    rec.set(input, 4);
    parts.push(rec);
    size += rec.length;
    if (size >= 1 << 20) { yield Buffer.concat(parts); parts = []; size = 0; }
  }
  if (parts.length) yield Buffer.concat(parts);
}
