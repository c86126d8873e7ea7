/**
 * A loopback port where TCP connects hang: a socket listening with an accept backlog of 1 that
 * never accepts, filled with connections of its own. The kernel then drops further SYNs, so a
 * client's connect neither succeeds nor fails until its own connect timeout.
 *
 * Node accepts connections as soon as its event loop runs, so the listener lives in a worker
 * thread whose event loop is parked in Atomics.wait (no CPU used) until close().
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface FullBacklogListener {
  port: number;
  close(): Promise<void>;
}

const listenerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:net');
const server = createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  // Park the event loop: nothing accepts from here on.
  Atomics.wait(workerData, 0, 0);
  server.close();
  process.exit(0);
});
`;

/** Connections the queue holds with backlog 1 (Linux and gVisor keep backlog + 1). */
const queueCapacity = 2;
/** Extra fillers in case a kernel keeps more; their SYNs are simply dropped otherwise. */
const fillers = 6;

export async function startFullBacklogListener(): Promise<FullBacklogListener> {
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(listenerSource, { eval: true, workerData: wake });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (value: number) => resolve(value));
    worker.once('error', reject);
  });

  // Fill the accept queue; once `queueCapacity` connects completed, new SYNs are dropped.
  const sockets: Socket[] = [];
  await new Promise<void>((resolve) => {
    let connected = 0;
    for (let i = 0; i < fillers; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('connect', () => {
        connected += 1;
        if (connected === queueCapacity) resolve();
      });
      sockets.push(socket);
    }
  });

  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      Atomics.store(wake, 0, 1);
      Atomics.notify(wake, 0);
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
      });
    },
  };
}
