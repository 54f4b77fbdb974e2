// Types of mqtt-packets.mjs (plain JavaScript so the board's fake broker runs under node without tsx).
export type Packet = { type: number; flags: number; body: Buffer };
export function len(n: number): number[];
export function pkt(first: number, body: number[] | Buffer): Buffer;
export function u16(v: number): number[];
export function str(s: string): number[];
export function CONNACK(sp?: number, rc?: number): Buffer;
export function reader(sock: { on(ev: 'data', fn: (d: Buffer) => void): unknown }, onPacket: (p: Packet) => void): void;
