import type { Server } from 'node:https';
import type { Socket } from 'node:net';

/** Go's net/http answer to a plain HTTP request on a TLS port, byte for byte. */
export const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** The first byte of a TLS connection: a handshake record. */
const TLS_HANDSHAKE = 0x16;

/**
 * Puts a look at the first byte in front of an HTTPS server's TLS layer: a client speaking
 * plain HTTP (its first byte is a method's capital letter) gets Go's 400 answer instead of a
 * connection closed without a word; anything else goes on to TLS with that byte put back.
 * `beforeTls` runs just before TLS takes a socket (the certificates are re-read there).
 */
export function guardPlainHttp(server: Server, beforeTls: () => void, firstByteTimeoutMs: number): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    // Until TLS takes it over, a silent client is ours to time out (TLS's own timeout starts then).
    socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      const first = chunk[0]!;
      if (first !== TLS_HANDSHAKE && first >= 0x41 && first <= 0x5a) {
        socket.end(PLAIN_HTTP_ANSWER);
        return;
      }
      socket.pause();
      socket.unshift(chunk); // TLSSocket reads what is already buffered on the socket it wraps
      beforeTls();
      for (const listener of tlsListeners) listener.call(server, socket);
    });
  });
}
