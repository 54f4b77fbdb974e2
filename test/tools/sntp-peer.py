#!/usr/bin/env python3
"""A scripted NTP server for test/sntp-board.test.ts (run inside the test's namespace).

Answers the board's requests on 192.0.2.1:123 by a script, one step per request, and prints one
line per request ("request N from IP:PORT") so the test can follow. Every forged reply would step
the board's clock by an hour if it were accepted; the genuine ones carry the true time.
  1: genuine reply (kept for the replay)
  2: forgeries first - wrong origin, the replay of reply 1, a reply from port 124, mode 3,
     version 1, stratum 0 with an unknown kiss code, stratum 16, LI 3, zero transmit timestamp,
     a 47-byte packet, a DENY with the wrong origin - then the genuine reply after 100 ms
  3: kiss-of-death RATE (genuine origin, poll field 2 = 4 s)
  4: kiss-of-death DENY
  later: genuine replies (the board must not send any after the DENY)
"""
import socket, struct, sys, time

NTP_OFFSET = 2208988800
HOUR = 3600.0

def ts(t):
    sec = int(t) + NTP_OFFSET
    frac = int((t - int(t)) * (1 << 32)) & 0xffffffff
    return struct.pack('!II', sec & 0xffffffff, frac)

def reply(origin, t_rx, shift=0.0, li=0, vn=4, mode=4, stratum=2, poll=6, refid=b'LOCL', zero_tx=False):
    first = (li << 6) | (vn << 3) | mode
    head = struct.pack('!BBbb', first, stratum, poll, -20) + b'\0\0\0\0' + b'\0\0\0\x10' + refid
    tx = b'\0' * 8 if zero_tx else ts(time.time() + shift)
    return head + ts(time.time() + shift - 1) + origin + ts(t_rx + shift) + tx

def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('192.0.2.1', 123))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(('192.0.2.1', 124))
    print('ready', flush=True)
    first = None
    n = 0
    deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 60)
    s.settimeout(0.5)
    while time.time() < deadline:
        try:
            req, peer = s.recvfrom(512)
        except socket.timeout:
            continue
        t_rx = time.time()
        n += 1
        print(f'request {n} from {peer[0]}:{peer[1]}', flush=True)
        if len(req) < 48:
            continue
        origin = req[40:48]
        wrong = bytes(b ^ 0x55 for b in origin)
        if n == 1:
            first = reply(origin, t_rx)
            s.sendto(first, peer)
        elif n == 2:
            forged = [
                reply(wrong, t_rx, HOUR),
                first,
                reply(origin, t_rx, HOUR, mode=3),
                reply(origin, t_rx, HOUR, vn=1),
                reply(origin, t_rx, HOUR, stratum=0, refid=b'XXXX'),
                reply(origin, t_rx, HOUR, stratum=16),
                reply(origin, t_rx, HOUR, li=3),
                reply(origin, t_rx, HOUR, zero_tx=True),
                reply(origin, t_rx, HOUR)[:47],
                reply(wrong, t_rx, stratum=0, refid=b'DENY'),
            ]
            for f in forged:
                s.sendto(f, peer)
            other.sendto(reply(origin, t_rx, HOUR), peer)
            time.sleep(0.1)
            s.sendto(reply(origin, t_rx), peer)
        elif n == 3:
            s.sendto(reply(origin, t_rx, stratum=0, poll=2, refid=b'RATE'), peer)
        elif n == 4:
            s.sendto(reply(origin, t_rx, stratum=0, refid=b'DENY'), peer)
        else:
            s.sendto(reply(origin, t_rx), peer)

main()
