"""The cheapest possible extra hop, as a floor for bench/proxy_overhead.py: a gevent byte pump.

Each accepted connection gets its own upstream connection and two greenlets copying bytes each
way as they arrive (TCP_NODELAY on both sides). No HTTP parsing, no recording. What it adds over
going direct is what any proxy process on this machine pays for the hop itself (two more socket
writes and reads, two more process wake-ups); what relay adds over it is relay's own cost.

    python bench/null_proxy.py UPSTREAM_URL      prints `listening http://127.0.0.1:PORT`
"""
import socket
import sys
from urllib.parse import urlsplit

import gevent
from gevent import socket as gsocket
from gevent.server import StreamServer


def _pump(src, dst):
    try:
        while True:
            data = src.recv(262144)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main(upstream_url):
    target = urlsplit(upstream_url)

    def handle(client, _addr):
        upstream = gsocket.create_connection((target.hostname, target.port))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = gevent.spawn(_pump, upstream, client)
        _pump(client, upstream)
        back.join()
        upstream.close()
        client.close()

    server = StreamServer(("127.0.0.1", 0), handle, backlog=4096)
    server.init_socket()
    print(f"listening http://127.0.0.1:{server.socket.getsockname()[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
