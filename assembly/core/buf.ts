// Packet buffers: one receive frame, one transmit frame, the host I/O staging area. Static, so the
// data segment shows every byte the stack owns.
import { FRAME_MAX, IO_BUFFER_SIZE } from "../config";

export const rxFrame: usize = memory.data(FRAME_MAX, 16);
export const txFrame: usize = memory.data(FRAME_MAX, 16);
export const ioBuf: usize = memory.data(IO_BUFFER_SIZE, 16);

// True when [p, p + len) lies inside the I/O buffer (the only memory the host may name).
export function inIoBuffer(p: u32, len: u32): bool {
  return p >= <u32>ioBuf && len <= <u32>IO_BUFFER_SIZE && p - <u32>ioBuf <= <u32>IO_BUFFER_SIZE - len;
}
