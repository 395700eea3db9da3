import * as z from 'zod';

/** What a host tells its webhooks about (docs/operating-a-host.md, "Webhooks"). */
export const WEBHOOK_EVENTS = ['copy.expiring', 'copy.destroyed', 'copy.failed', 'reseed.failed'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** A webhook's URL: http(s), or a secret reference to one (a chat service's URL is itself a credential). */
function isHookUrl(value: string): boolean {
  if (value.startsWith('env:') || value.startsWith('file:')) return true;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * host.webhooks and host.webhook_expiring_before, spread into the host's keys (src/config/schema.ts).
 * Built from the schema's own blocks (secrets, durations) so that they read as every other key does.
 */
export function webhookKeys(blocks: { secret: z.ZodString; duration: z.ZodType<number, string | number> }) {
  const hook = z.strictObject({
    url: z
      .string()
      .min(1)
      .refine(isHookUrl, 'expected an http(s):// URL, or a secret reference (env:NAME, file:PATH) to one')
      .meta({ kind: 'URL or secret' })
      .describe("Where the events are POSTed, as JSON: the operator's receiver (a caller never names one). A secret reference is allowed."),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).meta({ kind: 'list of event names' }).describe('The events this receiver gets: `copy.expiring`, `copy.destroyed`, `copy.failed`, `reseed.failed`.'),
    secret: blocks.secret.describe('The key of the HMAC-SHA256 signature each request carries (X-Ditto-Signature), literal or a secret reference.'),
  });
  return {
    webhooks: z.array(hook).default([]).describe('Receivers told of copies about to expire, destroyed or failed, and of failed scheduled reseeds; sent in the background, signed, retried (docs/operating-a-host.md, "Webhooks").'),
    webhook_expiring_before: blocks.duration.default(600).describe('How long before its TTL ends a copy sets off `copy.expiring` (once per copy).'),
  };
}

export type WebhookConfig = z.output<ReturnType<typeof webhookKeys>['webhooks']>[number];
