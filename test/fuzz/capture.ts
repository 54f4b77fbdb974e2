// Valid frames captured from a real two-stack exchange, one for every kind of moment a connection
// goes through: ARP request/reply, SYN, SYN-ACK, handshake ACK, data in both directions, pure
// ACKs, FIN in both directions (FIN_WAIT/CLOSE_WAIT/LAST_ACK/TIME_WAIT), and an RST answering a
// SYN to a closed port. The mutation generator starts from these.
import { Sim } from '../../host/sim.ts';
import { IP_A, IP_B } from './target.ts';

export type Captured = { frame: Uint8Array; toA: boolean };

const CAPTURE_SERVER_PORT = 6000, CAPTURE_CLIENT_PORT = 41000, CLOSED_PORT = 6001;

export function captureFrames(seed: number): Captured[] {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: IP_A });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: IP_B });
  const wire = sim.connect([a, b], { seed });
  const out: Captured[] = [];
  wire.tap((frame, _t, from) => { out.push({ frame: frame.slice(), toA: from === 'B' }); });
  const l = b.socket(); b.bind(l, 0, CAPTURE_SERVER_PORT); b.listen(l, 2);
  const c = a.socket(); a.bind(c, 0, CAPTURE_CLIENT_PORT); a.connect(c, IP_B, CAPTURE_SERVER_PORT);
  sim.run({ for: 100, maxSteps: 100_000 });
  const s = b.accept(l);
  if (s < 0) throw new Error(`capture: accept failed (${s})`);
  const data = new Uint8Array(3000).map((_, i) => (i * 7 + seed) & 255);
  a.send(c, data); sim.run({ for: 50, maxSteps: 100_000 });
  b.recv(s, 4096); b.send(s, data.subarray(0, 100)); sim.run({ for: 50, maxSteps: 100_000 });
  a.recv(c, 4096);
  a.shutdown(c, 1); sim.run({ for: 50, maxSteps: 100_000 });
  b.recv(s, 4096); b.close(s); sim.run({ for: 50, maxSteps: 100_000 });
  a.close(c);
  const r = a.socket(); a.connect(r, IP_B, CLOSED_PORT);
  sim.run({ for: 3000, maxSteps: 100_000 });
  if (out.length < 8) throw new Error(`capture: only ${out.length} frames`);
  return out;
}
