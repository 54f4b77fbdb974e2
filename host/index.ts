// The package's entry point (`import { Sim, HostNet } from 'asnet'`): the simulation, the stack,
// node:net-style sockets, virtual timers, pcap and netstat. `asnet/sim`, `asnet/net`, `asnet/stack`
// are the same modules one by one; `asnet/stack.wasm` (and .checked/.debug) are the builds.
export { Sim, type SimOptions, type RunOptions, type RunResult } from './sim.ts';
export { Stack, type StackOptions, type Build, ipToU32, u32ToIp, wasmPath, compileStack } from './stack.ts';
export { HostNet, Server, Socket, type HostNetOptions, type ConnectOptions, type ServerOptions } from './net.ts';
export { VirtualTimers, VirtualTimeout } from './timers.ts';
export { Clock } from './clock.ts';
export { Wire, type WireOptions, type Impairments } from './wire.ts';
export { capture, Capture, encodePcap } from './pcap.ts';
export { netstat } from './netstat.ts';
export * as abi from './abi.ts';
