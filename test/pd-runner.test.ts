// Issue 18: the packetdrill runner's own checks (test/pd/runner.ts). Every comparison it makes is
// shown passing on a script the stack satisfies and failing, with the file, line and field, on the
// same script with that one field wrong: a check that cannot fail is not a check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './pd/runner.ts';

// A passive open in packetdrill's syntax: the peer's MSS is 1000, the stack answers with 1460.
const OPEN = `0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   bind(3, ..., ...) = 0
+0   listen(3, 1) = 0
+0   < S 0:0(0) win 65535 <mss 1000>
+0   > S. 0:0(0) ack 1 <mss 1460>
+.01 < . 1:1(0) ack 1 win 65535
+0   accept(3, ..., ...) = 4
`;
const OPEN_LINES = OPEN.split('\n').length - 1;
const SYNACK_LINE = 5 - OPEN_LINES;               // the SYN-ACK line, relative to the body

function pass(body: string, open = OPEN): void {
  runScript('self-test.pkt', open + body, 'packetdrill');
}

/** The script must fail at `line` (1-based within `body`; 0 or less: within `open`) with a message matching `re`. */
function fail(body: string, line: number, re: RegExp, open = OPEN): void {
  const lines = open.split('\n').length - 1;
  assert.throws(() => runScript('self-test.pkt', open + body, 'packetdrill'), (e: Error) => {
    assert.match(e.message, new RegExp(`^self-test\\.pkt:${lines + line}: `), e.message);
    assert.match(e.message, re);
    return true;
  });
}

const DATA = '+0   < P. 1:11(10) ack 1 win 65535\n';

test('ack and win are compared with any spacing: a wrong "ack  99" fails the script', () => {
  pass(`${DATA}+.3  > .  1:1(0)   ack  11    win  8182\n`);
  fail(`${DATA}+.3  > .  1:1(0)   ack  99    win  8182\n`, 2, /ack: expected 99, got 11/);
  fail(`${DATA}+.3  > .  1:1(0)   ack  11    win  100\n`, 2, /win: expected 100, got 8182/);
  fail(`${DATA}+.3  > .  1:1(0)  win 8182\n`, 2, /needs its "ack N"/);
  fail(`${DATA}+.3  > .  1:1(0)  ack 11 wnd 8182\n`, 2, /unknown field "wnd"/);
});

test('EWOULDBLOCK and EAGAIN are expected results, not handle names; unknown errnos fail', () => {
  pass('+0   read(4, ..., 100) = -1 EWOULDBLOCK (Resource temporarily unavailable)\n+0   read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n');
  fail(`${DATA}+0   read(4, ..., 100) = -1 EWOULDBLOCK (Resource temporarily unavailable)\n> *\n`, 2, /read returned 10, expected -1 EAGAIN/);
  fail('+0   read(4, ..., 100) = -1 EFROBNICATE (No)\n', 1, /errno EFROBNICATE is not one this stack returns/);
  fail('+0   read(4, ..., 100) = -1\n', 1, /-1 needs its errno/);
});

test('"-" is a segment with no flags (dropped by the stack, RFC 9293 §3.10.7.4), not an ACK', () => {
  pass('+0   < - 1:11(10) win 65535\n+0   read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n');
  fail('+0   < - 1:11(10) win 65535\n+.3  > . 1:1(0) ack 11\n', 2, /expected \. 1:1\(0\) ack 11, but the stack sent nothing/);
});

test('ECN flags (E = ECE, W = CWR) and URG are parsed and compared', () => {
  const ecnOpen = OPEN.replace('< S 0:0(0) win 65535 <mss 1000>', '< SEW 0:0(0) win 65535 <mss 1000>');
  pass('', ecnOpen);                                                                  // no ECN here: a plain SYN-ACK
  fail('', SYNACK_LINE, /flags: expected SE\. 0:0\(0\)/, ecnOpen.replace('> S. 0:0(0) ack 1', '> SE. 0:0(0) ack 1'));
  const urg = '+0   < U. 1:11(10) ack 1 win 65535 urg 5\n';
  pass(`${urg}+.3  > . 1:1(0) ack 11 win 8182\n`);
  fail(`${urg}+.3  > U. 1:1(0) ack 11 win 8182\n`, 2, /flags: expected U\./);
  fail(`${urg}+.3  > . 1:1(0) ack 11 win 8182 urg 3\n`, 2, /urg: expected 3, got 0/);
});

test('options: <...> accepts any, a list is compared exactly (packetdrill), no list means none', () => {
  pass('', OPEN.replace('> S. 0:0(0) ack 1 <mss 1460>', '> S. 0:0(0) ack 1 <...>'));
  fail('', SYNACK_LINE, /options: expected <mss,sackOK>, got <mss>/, OPEN.replace('ack 1 <mss 1460>', 'ack 1 <mss 1460,sackOK>'));
  fail('', SYNACK_LINE, /option mss: expected 1400, got 1460/, OPEN.replace('ack 1 <mss 1460>', 'ack 1 <mss 1400>'));
  fail('', SYNACK_LINE, /options: expected <>, got <mss>/, OPEN.replace('> S. 0:0(0) ack 1 <mss 1460>', '> S. 0:0(0) ack 1'));
});

// Timestamps as packetdrill maps them: the first TS val the stack sends is script value 5000; later
// vals are compared in that space (1 ms ticks), ecr exactly; an inbound ecr maps back to live.
const TS_OPEN = `0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   bind(3, ..., ...) = 0
+0   listen(3, 1) = 0
+0   < S 0:0(0) win 65535 <mss 1000,TS val 100 ecr 0>
+0   > S. 0:0(0) ack 1 <mss 1460,TS val 5000 ecr 100>
+.01 < . 1:1(0) ack 1 win 65535 <TS val 110 ecr 5000>
+0   accept(3, ..., ...) = 4
+.01 < P. 1:11(10) ack 1 win 65535 <TS val 120 ecr 5000>
`;

test('TS val (relative to the first one sent, packetdrill semantics) and TS ecr are compared', () => {
  pass('+.3  > . 1:1(0) ack 11 <TS val 5250 ecr 120>\n', TS_OPEN);                  // the delayed ACK, 250 ms in
  fail('+.3  > . 1:1(0) ack 11 <TS val 5100 ecr 120>\n', 1, /TS val: expected 5100, got 5250/, TS_OPEN);
  fail('+.3  > . 1:1(0) ack 11 <TS val 5250 ecr 110>\n', 1, /TS ecr: expected 110, got 120/, TS_OPEN);
  // The inbound ecr is mapped to the live value: the RTT the stack measures from it is the real ~20 ms.
  pass('+.3  > . 1:1(0) ack 11 <TS val 5250 ecr 120>\n+0   %{ assert tcpi_rtt < 100000, tcpi_rtt }%\n', TS_OPEN);
});

test('blocking calls: +0...0.1 read returns when the data comes, at the end of its window', () => {
  const body = '+0...0.1 read(4, ..., 10) = 10\n+.1  < P. 1:11(10) ack 1 win 65535\n+.25 > . 1:1(0) ack 11 win 8182\n';
  pass(body);
  fail(body.replace('...0.1', '...0.3'), 1, /returned at t=\d+ ms, its window ends at t=\d+ ms/);
  fail('+0...0.1 read(4, ..., 10) = 10\n+.5  < P. 1:11(10) ack 1 win 65535\n', 1, /still blocked at t=\d+ ms, after its window ended/);
  fail(body.replace('= 10', '= 9'), 1, /read returned 10, expected 9/);
});

test('%{ assert tcpi_... }% is checked against the stack\'s tcp_info', () => {
  pass('+0   %{ assert tcpi_snd_mss == 1000, tcpi_snd_mss }%\n+0   %{\nassert tcpi_state == TCP_ESTABLISHED\nassert tcpi_unacked == 0 and tcpi_retransmits == 0\n}%\n');
  fail('+0   %{ assert tcpi_snd_mss == 999, tcpi_snd_mss }%\n', 1, /assert tcpi_snd_mss == 999 failed \(tcpi_snd_mss=1000\)/);
  fail('+0   %{\nassert tcpi_state == TCP_ESTABLISHED\nassert tcpi_unacked == 3\n}%\n', 1, /assert tcpi_unacked == 3 failed/);
  fail('+0   %{ assert tcpi_reordering == 3 }%\n', 1, /tcpi_reordering is not available \(this stack's tcp_info has no such field\)/);
  fail('+0   %{ print(tcpi_rtt) }%\n', 1, /only "assert EXPR\[, message\]" is supported/);
});

test('getsockopt in system-call form compares the value (SO_ERROR by errno name)', () => {
  pass('+0   getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n+0   < R. 1:1(0) ack 1 win 0\n+0   getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n');
  fail('+0   getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n', 1, /getsockopt SO_ERROR: expected ECONNRESET, got 0/);
  fail('+0   getsockopt(4, SOL_TCP, TCP_INFO, {...}, [104]) = 0\n', 1, /unsupported packetdrill line \(getsockopt TCP_INFO/);
});

test('an inbound segment larger than the rx buffer is delivered as link-sized frames, not thrown', () => {
  // Split at the MSS the stack announced (1460): two full segments are ACKed at once, the rest later.
  const body = '+0   < P. 1:4001(4000) ack 1 win 65535\n+0   > . 1:1(0) ack 2921 win 5272\n+0   read(4, ..., 8000) = 4000\n+.3  > . 1:1(0) ack 4001 win 8192\n';
  pass(body);
  fail(body.replace('= 4000', '= 3999'), 3, /read returned 4000, expected 3999/);
});

test('anything still unsupported fails loudly with file and line', () => {
  fail('+0   fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n', 1, /unsupported packetdrill line \(fcntl is not supported by this runner\)/);
  fail('+0   recv(4, ..., 100, MSG_PEEK) = 0\n', 1, /unsupported packetdrill line \(recv flags MSG_PEEK\)/);
  fail('+0...0.1 close(4) = 0\n', 1, /unsupported packetdrill line \(blocking close\)/);
  fail('+0   < S. 0:0(0) ack 1 <...>\n', 1, /<\.\.\.> .* only makes sense on an expected segment/);
});
