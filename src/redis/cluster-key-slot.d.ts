declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key (CRC16 of its hash tag, or of the whole key), 0-16383. */
  export default function calculateSlot(key: string): number;
}
