// Two stacks on one wire with a connected pair of sockets: the "socket in state X" starting point
// most option and knob tests need.
import { Sim } from '../../host/sim.ts';
import type { Build, Stack } from '../../host/stack.ts';
import type { Impairments } from '../../host/wire.ts';

export type Pair = { sim: Sim; a: Stack; b: Stack; l: number; c: number; s: number; wire: ReturnType<Sim['connect']> };

export function twoStacks(seed = 1, impair: Partial<Impairments> = {}, build?: Build) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1', build });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', build });
  const wire = sim.connect([a, b], { seed: seed + 1, impair });
  return { sim, a, b, wire };
}

/** A listener on B:port and an ESTABLISHED connection A→B, accepted (both stacks of `build`). */
export function connectedPair(seed = 1, port = 80, setup?: (a: Stack, b: Stack) => void, build?: Build): Pair {
  const { sim, a, b, wire } = twoStacks(seed, {}, build);
  setup?.(a, b);
  const l = b.socket(); b.bind(l, 0, port); b.listen(l, 8);
  const c = a.socket(); a.connect(c, '192.0.2.2', port);
  sim.run({ for: 50 });
  const s = b.accept(l);
  if (s < 0) throw new Error(`accept failed: ${s}`);
  return { sim, a, b, l, c, s, wire };
}
