import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { batchFromRecord } from '../../src/batches/batch-store.ts';
import { batchEvent, eventTypeOf, newEventId } from '../../src/webhooks/events.ts';
import { openSecret, sealSecret } from '../../src/lib/secret-box.ts';
import { isSigningSecret, newSigningSecret, signedHeaders } from '../../src/webhooks/signing.ts';

const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'batch.completed', created_at: 1, data: { id: 'batch_x' } });

describe('Standard Webhooks signing', () => {
  it('is verified by the standardwebhooks package and by the openai SDK', async () => {
    const secret = newSigningSecret();
    expect(isSigningSecret(secret)).toBe(true);
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'evt_1', now, body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toMatchObject({ id: 'evt_1' });
    const client = new OpenAI({ apiKey: 'unused', webhookSecret: secret });
    expect(await client.webhooks.unwrap(body, headers)).toMatchObject({ type: 'batch.completed' });
  });

  it('signs with both secrets after a rotation; either verifies, a wrong one does not', async () => {
    const [fresh, old, wrong] = [newSigningSecret(), newSigningSecret(), newSigningSecret()];
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([fresh, old], 'evt_2', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [fresh, old]) {
      expect(() => new Webhook(secret).verify(body, { ...headers })).not.toThrow();
      await expect(new OpenAI({ apiKey: 'x' }).webhooks.unwrap(body, headers, secret)).resolves.toBeTruthy();
    }
    expect(() => new Webhook(wrong).verify(body, { ...headers })).toThrow();
    await expect(new OpenAI({ apiKey: 'x' }).webhooks.unwrap(body, headers, wrong)).rejects.toThrow(/signature/);
    expect(() => new Webhook(fresh).verify(`${body} `, { ...headers })).toThrow();
  });
});

describe('secrets at rest', () => {
  it('are AES-GCM ciphertext under secrets.key and come back with the same key only', () => {
    const secret = newSigningSecret();
    const sealed = sealSecret(secret, 'a key of the operator');
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealed.startsWith('gcm1.')).toBe(true);
    expect(openSecret(sealed, 'a key of the operator')).toBe(secret);
    expect(() => openSecret(sealed, 'another key')).toThrow(/cannot be decrypted/);
    expect(() => openSecret(sealed, undefined)).toThrow(/secrets\.key/);
    expect(openSecret(sealSecret(secret, undefined), undefined)).toBe(secret);
  });
});

describe('batch events', () => {
  it('have OpenAI event shape with relayq counts inside data', () => {
    const batch = batchFromRecord(
      'batch_abc',
      {
        id: 'batch_abc',
        status: 'completed',
        total: '3',
        succeeded: '2',
        errored: '1',
        created_at: '1700000000000',
        completed_at: '1700000100000',
        metadata: '{"tenant":"acme"}',
      },
      3,
    );
    const id = newEventId();
    const event = batchEvent(id, batch);
    expect(event).toMatchObject({
      id,
      object: 'event',
      type: 'batch.completed',
      created_at: 1700000100,
      data: { id: 'batch_abc', status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 }, metadata: { tenant: 'acme' } },
    });
    expect(eventTypeOf('in_progress')).toBeNull();
    expect(eventTypeOf('expired')).toBe('batch.expired');
  });
});
