# workload/net.py: loopback traffic for the network provider tests, on a port the test
# chose. Modes:
#   tcp PORT BYTES   a listener on 127.0.0.1:PORT, a client that connects, sends BYTES
#                    bytes, reads a 10-byte reply, and both ends closing (client first)
#   reset PORT       as tcp with no data, but the client only shuts its side (FIN_WAIT_2)
#                    and the server closes with SO_LINGER 0: a reset ends the client's
#   refused PORT     a connection to 127.0.0.1:PORT, where nothing listens
#   udp PORT BYTES   a datagram of BYTES bytes from a client socket to 127.0.0.1:PORT
#   extensions PORT BYTES  over ::1 with a destination options header on every packet the
#                    client sends (IPV6_DSTOPTS): a TCP connection sending BYTES bytes, then
#                    a UDP datagram of BYTES bytes to the same port
#   families PORT BYTES  as tcp (BYTES bytes each way, no reply), three times in turn: on
#                    127.0.0.1, on ::1, and IPv4-mapped (IPv6 sockets on ::ffff:127.0.0.1)
# Prints "client PORT" (the client's port) and waits a moment so the tracer drains.
import socket, sys, time

mode, port = sys.argv[1], int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 0


def connected(family=socket.AF_INET, host="127.0.0.1", options=None):
    """A listener on the port, a client (with IPv6 destination options, if given) connected
    to it and the server's end; says the client's port."""
    listener = socket.socket(family)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1)
    client = socket.socket(family)
    if options:
        client.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, options)
    client.connect((host, port))
    server, _ = listener.accept()
    print("client", client.getsockname()[1], flush=True)
    return listener, client, server


def sent(client, server):
    """`size` bytes from the client, all read by the server."""
    client.sendall(b"x" * size)
    received = 0
    while received < size:
        received += len(server.recv(65536))


if mode == "tcp":
    listener, client, server = connected()
    sent(client, server)
    server.sendall(b"y" * 10)
    client.recv(10)
    client.close()
    time.sleep(0.1)
    server.close()
    listener.close()
elif mode == "reset":
    import struct
    listener, client, server = connected()
    client.shutdown(socket.SHUT_WR)
    server.recv(10)
    time.sleep(0.1)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    time.sleep(0.1)
    try:
        client.recv(10)
    except ConnectionResetError:
        pass
    client.close()
    listener.close()
elif mode == "refused":
    client = socket.socket()
    try:
        client.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        pass
    print("client", client.getsockname()[1], flush=True)
elif mode == "families":
    for family, host in [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"), (socket.AF_INET6, "::ffff:127.0.0.1")]:
        listener, client, server = connected(family, host)
        sent(client, server)
        client.close()
        server.close()
        listener.close()
elif mode == "extensions":
    options = bytes([0, 0, 1, 4, 0, 0, 0, 0])   # next header (the kernel's), length 0, PadN of 4
    listener, client, server = connected(socket.AF_INET6, "::1", options)
    sent(client, server)
    client.close()
    server.close()
    listener.close()
    receiver = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    receiver.bind(("::1", port))
    sender = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sender.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, options)
    sender.sendto(b"z" * size, ("::1", port))
    receiver.recvfrom(65536)
elif mode == "udp":
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", port))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.sendto(b"z" * size, ("127.0.0.1", port))
    server.recvfrom(65536)
    print("client", client.getsockname()[1], flush=True)
time.sleep(0.5)
