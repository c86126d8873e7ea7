/**
 * Imported first by a child process of a test that runs a cloud SDK: every TCP connection to
 * anything but the loopback addresses throws before it is attempted (no DNS lookup either), so
 * an SDK that would reach for a public endpoint (instance discovery, a metadata server) fails the
 * test instead of sending traffic off the machine.
 */
import { Socket } from 'node:net';
import { connectTarget, loopback } from './loopback-target.ts';

const connect = Socket.prototype.connect;
Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
  const host = connectTarget(args);
  if (!loopback(host)) throw new Error(`this test process connects to loopback addresses only, not ${host}`);
  return (connect as (...a: unknown[]) => Socket).apply(this, args);
} as typeof Socket.prototype.connect;
