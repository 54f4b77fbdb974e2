// Packet captures of a Wire in the classic libpcap format, readable by Wireshark and tcpdump, with
// the simulation's virtual timestamps. Format: the 24-byte global header (magic 0xa1b2c3d4 =
// microsecond timestamps, version 2.4, snaplen, link type 1 = LINKTYPE_ETHERNET) followed by one
// 16-byte record header (seconds, microseconds, captured length, original length) per frame.
// Reference: https://www.tcpdump.org/manpages/pcap-savefile.5.txt and the LINKTYPE registry.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TapPoint, Wire } from './wire.ts';

export const LINKTYPE_ETHERNET = 1;
const PCAP_MAGIC_USEC = 0xa1b2c3d4;

export type PcapRecord = { timeMs: number; frame: Uint8Array };

export type CaptureOptions = {
  /** Which tap point to record (default 'tx': frames as sent, before loss). */
  point?: TapPoint;
  /** Keep at most this many frames in memory, dropping the oldest (default 100000). */
  maxFrames?: number;
  /** Stream every frame to this file as it is seen (in addition to the memory ring). */
  path?: string;
  /** Added to virtual time for the pcap timestamps (default 0: the capture starts at the epoch). */
  epochMs?: number;
  snaplen?: number;
};

/** The pcap global header. */
export function pcapHeader(snaplen = 65535, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC_USEC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);        // thiszone: timestamps are UTC
  v.setUint32(12, 0, true);      // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/** One record: header plus the frame truncated to snaplen. */
export function pcapRecord(rec: PcapRecord, snaplen = 65535, epochMs = 0): Uint8Array {
  const us = Math.max(0, Math.round((rec.timeMs + epochMs) * 1000));
  const incl = Math.min(rec.frame.length, snaplen);
  const b = new Uint8Array(16 + incl);
  const v = new DataView(b.buffer);
  v.setUint32(0, Math.floor(us / 1e6), true);
  v.setUint32(4, us % 1e6, true);
  v.setUint32(8, incl, true);
  v.setUint32(12, rec.frame.length, true);
  b.set(rec.frame.subarray(0, incl), 16);
  return b;
}

/** A whole pcap file from records. */
export function encodePcap(records: readonly PcapRecord[], snaplen = 65535, epochMs = 0): Uint8Array {
  const parts = [pcapHeader(snaplen), ...records.map((r) => pcapRecord(r, snaplen, epochMs))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Records a wire's frames (in a bounded memory ring, optionally streamed to a file). */
export class Capture {
  private readonly records: PcapRecord[] = [];
  private readonly maxFrames: number;
  private readonly snaplen: number;
  private readonly epochMs: number;
  private fd: number | null = null;
  private untap: () => void;
  /** Frames dropped from the memory ring because it was full. */
  dropped = 0;

  constructor(wire: Wire, opts: CaptureOptions = {}) {
    this.maxFrames = opts.maxFrames ?? 100_000;
    this.snaplen = opts.snaplen ?? 65535;
    this.epochMs = opts.epochMs ?? 0;
    if (opts.path) {
      this.fd = openSync(opts.path, 'w');
      writeSync(this.fd, pcapHeader(this.snaplen));
    }
    this.untap = wire.tap((frame, timeMs) => this.add({ timeMs, frame }), opts.point ?? 'tx');
  }

  get frames(): readonly PcapRecord[] {
    return this.records;
  }

  add(rec: PcapRecord): void {
    this.records.push(rec);
    if (this.records.length > this.maxFrames) { this.records.shift(); this.dropped++; }
    if (this.fd !== null) writeSync(this.fd, pcapRecord(rec, this.snaplen, this.epochMs));
  }

  /** The frames in memory as a pcap file. */
  toBytes(): Uint8Array {
    return encodePcap(this.records, this.snaplen, this.epochMs);
  }

  /** Writes the frames in memory to `path` (e.g. when a test fails). */
  save(path: string): void {
    writeFileSync(path, this.toBytes());
  }

  /** Stops recording and closes the streamed file, if any. Safe to call twice. */
  stop(): void {
    this.untap();
    this.untap = () => {};
    if (this.fd !== null) { closeSync(this.fd); this.fd = null; }
  }
}

/** Starts capturing a wire. */
export function capture(wire: Wire, opts: CaptureOptions = {}): Capture {
  return new Capture(wire, opts);
}

/**
 * Runs `fn` while capturing `wire`; if it throws (or its promise rejects) the capture is written to
 * `path` (default build/pcap/<name>.pcap) and the error message names the file. The capture is
 * stopped either way. For tests: "every test writes a pcap on failure".
 */
export function withPcap<T>(wire: Wire, name: string, fn: () => T, path = `build/pcap/${name}.pcap`): T {
  const cap = capture(wire);
  const fail = (e: unknown): never => {
    cap.stop();
    mkdirSync(dirname(path), { recursive: true });
    cap.save(path);
    if (e instanceof Error) e.message += ` (capture of ${wire.name}: ${path})`;
    throw e;
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    return fail(e);
  }
  if (result instanceof Promise) {
    return result.then((v: unknown) => { cap.stop(); return v; }, fail) as T;
  }
  cap.stop();
  return result;
}
