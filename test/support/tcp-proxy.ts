import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports';

/**
 * A TCP forwarder in front of a real service (PostgreSQL, Redis), so a test can make that service
 * "go away" for one app — refused connections, dropped sockets — without touching the shared server.
 */
export interface TcpProxy {
  readonly port: number;
  readonly up: boolean;
  /** Stops listening and destroys every forwarded connection: clients see resets, then refusals. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Same as cut; call it in afterAll. */
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const restore = async (): Promise<void> => {
    if (server) return;
    const listening = createServer((client) => {
      const upstream = connect({ host: target.host ?? '127.0.0.1', port: target.port });
      track(client);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', resolve);
    });
    server = listening;
  };

  const cut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    // Stop listening first, so no connection slips in after the sockets are destroyed.
    const closed = new Promise<void>((resolve) =>
      closing ? closing.close(() => resolve()) : resolve(),
    );
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  await restore();
  return {
    port,
    get up() {
      return server !== undefined;
    },
    cut,
    restore,
    close: cut,
  };
}
