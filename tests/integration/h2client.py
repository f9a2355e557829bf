"""An HTTP/2 client for the integration tests, on Debian's python3-h2.

It speaks h2 over TLS (ALPN "h2") or h2c with prior knowledge (the
connection preface straight on a cleartext socket, RFC 9113 3.3), and
returns each response's header fields exactly as they came off the wire:
every field, duplicates included, in order, names and values as bytes
decoded as latin-1. Outbound fields are sent as given (no validation, no
normalisation), so a test can send what a hostile client would.

WebSockets over HTTP/2 (RFC 8441) are an extended CONNECT: open_tunnel()
sends :method CONNECT with :protocol and gives the stream as a byte tunnel.
"""

import http.client
import socket
import ssl
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings

LOOPBACK = "127.0.0.1"
READ_SIZE = 65536


class H2Error(OSError):
    """The peer reset the stream or closed the connection."""


class H2Timeout(H2Error, TimeoutError):
    """Nothing came within the connection's timeout."""


class StreamReset(H2Error):
    def __init__(self, stream_id, error_code, refused=False):
        super().__init__("stream %d %s: %s" % (stream_id, "refused (not processed)" if refused
                                               else "reset by the server", error_code))
        self.error_code = error_code
        self.refused = refused  # the server did not process it: safe to retry (RFC 9113 8.7)


class _ClientConnection(h2.connection.H2Connection):
    """python3-h2 closes its state machine on GOAWAY, so the responses to
    streams the server still finishes (up to the GOAWAY's last stream id, as
    httpd does on a graceful restart) would be protocol errors. RFC 9113 6.8
    keeps those streams alive: only new streams are forbidden, which
    Connection enforces itself."""

    def _receive_goaway_frame(self, frame):
        events = super()._receive_goaway_frame(frame)
        if frame.error_code == h2.errors.ErrorCodes.NO_ERROR:
            self.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        return events


def _text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


class _Stream:
    def __init__(self, stream_id):
        self.id = stream_id
        self.headers = None  # [(name, value)] of the final response head
        self.informational = []
        self.trailers = []
        self.data = bytearray()
        self.ended = False
        self.reset = None  # error code
        self.refused = False  # beyond a GOAWAY's last stream id, or REFUSED_STREAM


class Connection:
    """One HTTP/2 connection to 127.0.0.1:port."""

    def __init__(self, port, tls=False, timeout=15.0, server_name="localhost", cafile=None,
                 authority_port=None):
        self.timeout = timeout
        # :authority as a browser sends it for http(s)://127.0.0.1:port
        self.authority = "%s:%d" % (LOOPBACK, authority_port or port)
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            context = ssl.create_default_context(cafile=str(cafile)) if cafile else \
                ssl._create_unverified_context()  # noqa: S323 - loopback test server
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname=server_name)
            if self.sock.selected_alpn_protocol() != "h2":
                self.sock.close()
                raise H2Error("the server did not select h2 by ALPN (got %r)"
                              % self.sock.selected_alpn_protocol())
        config = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                           validate_outbound_headers=False,
                                           normalize_outbound_headers=False,
                                           validate_inbound_headers=False,
                                           normalize_inbound_headers=False)
        self.h2 = _ClientConnection(config=config)
        self.h2.initiate_connection()
        self.streams = {}
        self.closed = False
        self.going_away = False  # a GOAWAY came: no new streams
        self.server_settings_seen = False
        self._flush()

    # ---- plumbing -------------------------------------------------------------

    def _flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def _read_once(self, deadline):
        """Reads what the server sent (waiting until deadline) and handles it."""
        if self.closed:
            raise H2Error("the server closed the connection")
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(READ_SIZE)
        except socket.timeout:
            raise H2Timeout("no answer within %.1f s" % self.timeout) from None
        except (ConnectionResetError, ssl.SSLError) as error:
            self.closed = True
            raise H2Error("connection lost: %s" % error) from None
        if not data:
            self.closed = True
            raise H2Error("the server closed the connection")
        for event in self.h2.receive_data(data):
            self._handle(event)
        self._flush()

    def _handle(self, event):
        stream = self.streams.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self.server_settings_seen = True
        elif isinstance(event, h2.events.InformationalResponseReceived) and stream:
            stream.informational.append([(_text(n), _text(v)) for n, v in event.headers])
        elif isinstance(event, h2.events.ResponseReceived) and stream:
            stream.headers = [(_text(n), _text(v)) for n, v in event.headers]
        elif isinstance(event, h2.events.TrailersReceived) and stream:
            stream.trailers = [(_text(n), _text(v)) for n, v in event.headers]
        elif isinstance(event, h2.events.DataReceived):
            if stream:
                stream.data += event.data
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded) and stream:
            stream.ended = True
        elif isinstance(event, h2.events.StreamReset) and stream:
            stream.reset = event.error_code
            stream.refused = event.error_code == h2.errors.ErrorCodes.REFUSED_STREAM
            stream.ended = True
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.going_away = True
            if event.error_code != h2.errors.ErrorCodes.NO_ERROR:
                self.closed = True
            last = event.last_stream_id if event.last_stream_id is not None else 0
            for open_stream in self.streams.values():
                if not open_stream.ended and (open_stream.id > last or self.closed):
                    open_stream.reset = event.error_code
                    open_stream.refused = open_stream.id > last
                    open_stream.ended = True

    def _wait(self, predicate, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not predicate():
            if self.closed:
                raise H2Error("the server closed the connection")
            self._read_once(deadline)

    def wait_for_settings(self):
        """Waits for the server's first SETTINGS frame."""
        self._wait(lambda: self.server_settings_seen)
        return self.h2.remote_settings

    # ---- requests ---------------------------------------------------------------

    def start(self, method, path, headers=(), body=None, authority=None, protocol=None):
        """Opens a stream: pseudo-headers, then headers as given (name, value)
        pairs of str or bytes, in order; a "Host" pair becomes :authority.
        protocol adds :protocol (extended CONNECT, RFC 8441), which leaves
        :scheme and :path in place as RFC 8441 4 asks. Returns the stream id."""
        fields, regular = [], []
        authority = authority or self.authority
        for name, value in headers:
            if _bytes(name).lower() == b"host":
                authority = value
            else:
                regular.append((_bytes(name).lower(), _bytes(value)))
        fields.append((b":method", _bytes(method)))
        if protocol is not None:
            fields.append((b":protocol", _bytes(protocol)))
        fields += [(b":scheme", b"https" if isinstance(self.sock, ssl.SSLSocket) else b"http"),
                   (b":authority", _bytes(authority)), (b":path", _bytes(path))]
        fields += regular
        if body is not None and protocol is None and not any(n == b"content-length"
                                                              for n, _ in regular):
            fields.append((b"content-length", b"%d" % len(body)))
        if self.going_away:
            raise H2Error("the server sent GOAWAY: no new streams on this connection")
        stream_id = self.h2.get_next_available_stream_id()
        self.streams[stream_id] = _Stream(stream_id)
        self.h2.send_headers(stream_id, fields, end_stream=body is None and protocol is None)
        if body:
            self.send_data(stream_id, body, end_stream=True)
        elif body is not None:
            self.h2.end_stream(stream_id)
        self._flush()
        return stream_id

    def send_data(self, stream_id, data, end_stream=False):
        """Sends data on the stream, waiting for flow-control window as needed."""
        data = _bytes(data)
        while data:
            self._wait(lambda: self.h2.local_flow_control_window(stream_id) > 0
                       or self.streams[stream_id].ended)
            if self.streams[stream_id].ended:
                raise H2Error("stream %d ended while sending" % stream_id)
            size = min(len(data), self.h2.local_flow_control_window(stream_id),
                       self.h2.max_outbound_frame_size)
            self.h2.send_data(stream_id, data[:size])
            data = data[size:]
            self._flush()
        if end_stream:
            self.h2.end_stream(stream_id)
            self._flush()

    def head(self, stream_id, timeout=None):
        """Waits for the response head: (status, [(name, value)]) without the
        pseudo-headers; raises StreamReset when the server reset the stream."""
        stream = self.streams[stream_id]
        self._wait(lambda: stream.headers is not None or stream.reset is not None
                   or stream.ended, timeout)
        if stream.headers is None:
            raise StreamReset(stream_id, stream.reset, stream.refused)
        status = int(dict(stream.headers)[":status"])
        return status, [(n, v) for n, v in stream.headers if not n.startswith(":")]

    def read_some(self, stream_id, timeout=None):
        """The stream's data received so far (waiting for some, or for its
        end): returns b"" once the stream has ended and nothing is left."""
        stream = self.streams[stream_id]
        self._wait(lambda: stream.data or stream.ended, timeout)
        data = bytes(stream.data)
        stream.data.clear()
        return data

    def read_to_end(self, stream_id, timeout=None):
        stream = self.streams[stream_id]
        self._wait(lambda: stream.ended, timeout)
        if stream.reset is not None and stream.reset != h2.errors.ErrorCodes.NO_ERROR:
            raise StreamReset(stream_id, stream.reset)
        data = bytes(stream.data)
        stream.data.clear()
        return data

    def ended(self, stream_id):
        return self.streams[stream_id].ended

    def reset(self, stream_id, error_code=h2.errors.ErrorCodes.CANCEL):
        if not self.streams[stream_id].ended and not self.closed:
            self.h2.reset_stream(stream_id, error_code)
            self._flush()

    def close(self):
        try:
            if not self.closed:
                self.h2.close_connection()
                self._flush()
        except OSError:
            pass
        finally:
            self.closed = True
            self.sock.close()


def reason_of(status):
    """HTTP/2 carries no reason phrase: the standard one, for messages."""
    return http.client.responses.get(status, "")


REFUSED_RETRIES = 3


def request(port, method, path, header_pairs, body=None, timeout=15.0, tls=False,
            response_class=None):
    """One request on a new connection; returns response_class(status,
    reason, headers, body) with headers as they came, trailers appended.
    A request the server refused unprocessed (a GOAWAY before it, as on a
    graceful restart, or REFUSED_STREAM) is sent again on a new connection,
    as HTTP/2 clients do (RFC 9113 8.7)."""
    for attempt in range(REFUSED_RETRIES + 1):
        connection = Connection(port, tls=tls, timeout=timeout, authority_port=port)
        try:
            stream_id = connection.start(method, path, header_pairs, body)
            status, headers = connection.head(stream_id)
            data = b"" if method == "HEAD" else connection.read_to_end(stream_id)
            headers += connection.streams[stream_id].trailers
            return response_class(status, reason_of(status), headers, data)
        except StreamReset as error:
            if not error.refused or attempt == REFUSED_RETRIES:
                raise
        finally:
            connection.close()


class Tunnel:
    """An extended CONNECT stream (RFC 8441) as a byte pipe: a 2xx head
    opened it; send() and receive() carry the bytes of the tunnelled
    protocol in DATA frames."""

    def __init__(self, port, path, header_pairs, protocol="websocket", tls=False, timeout=10.0,
                 authority=None):
        self.connection = Connection(port, tls=tls, timeout=timeout)
        try:
            settings = self.connection.wait_for_settings()
            self.server_enables_connect_protocol = bool(settings.enable_connect_protocol)
            self.stream_id = self.connection.start("CONNECT", path, header_pairs,
                                                   authority=authority, protocol=protocol)
            self.status, self.headers = self.connection.head(self.stream_id)
        except Exception:
            self.connection.close()
            raise
        self.body = b""
        if not 200 <= self.status < 300:
            try:
                self.body = self.connection.read_to_end(self.stream_id)
            except H2Error:
                pass

    def send(self, data):
        self.connection.send_data(self.stream_id, data)

    def receive(self, timeout=None):
        """The next bytes from the server (b"" once the stream ended)."""
        return self.connection.read_some(self.stream_id, timeout)

    def reader(self):
        """A file-like read(n) over receive(), for frame parsers."""
        return _TunnelReader(self)

    def close(self):
        self.connection.close()


class _TunnelReader:
    def __init__(self, tunnel):
        self.tunnel = tunnel
        self.buffer = b""

    def read(self, size):
        while len(self.buffer) < size:
            data = self.tunnel.receive()
            if not data:
                break
            self.buffer += data
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def close(self):
        pass
