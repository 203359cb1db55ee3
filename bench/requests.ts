// Unique, validly signed requests, made before a run so that signing is never
// measured. A draft (id + body) is made once and shared by every server, so
// all three see the same requests; it is signed right before each server's
// phases because svix-timestamp must be within 5 minutes of the server clock.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { Webhook } from 'svix'
import { clerkUserCreatedBody } from './clerk-body.js'

export interface SignedRequest {
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

export interface Draft {
  readonly id: string
  readonly body: string
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function base62 (n: number, width: number): string {
  let out = ''
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

/** 27 base62 characters like a Svix KSUID: 8 random per run, 1 per set, 18 counter. */
function ksuidLike (runTag: string, setTag: string, i: number): string {
  return runTag + setTag + base62(i, 18)
}

const RUN_TAG = [...randomBytes(8)].map((b) => BASE62[b % 62]).join('')

/** The first n drafts of a set, made on first use and the same on every call. */
export type DraftSource = (n: number) => readonly Draft[]

/**
 * A growing list of distinct Clerk `user.created` drafts; `setTag` keeps sets
 * apart. Each about a user of its own, or with `subjects`, about one of that
 * many users in turn (Clerk's subject is the user id).
 */
export function clerkDrafts (setTag: string, subjects?: number): DraftSource {
  const drafts: Draft[] = []
  const startMs = Date.now()
  return function take (n: number): readonly Draft[] {
    for (let i = drafts.length; i < n; i++) {
      const suffix = ksuidLike(RUN_TAG, setTag, i)
      drafts.push({
        id: `msg_${suffix}`,
        body: clerkUserCreatedBody({ userId: `user_${subjects === undefined ? suffix : ksuidLike(RUN_TAG, `${setTag}u`, i % subjects)}`, emailId: `idn_${suffix}`, externalId: `ext${setTag}${i}`, atMs: startMs + i })
      })
    }
    return drafts.slice(0, n)
  }
}

/** Walks a draft list: each call returns the next n. Servers get a cursor each, over the same list. */
export function cursorOver (source: DraftSource): (n: number) => readonly Draft[] {
  let next = 0
  return (n) => {
    const drafts = source(next + n).slice(next)
    next += n
    return drafts
  }
}

/** Signs with svix's own `Webhook.sign`, as Clerk (through Svix) does. */
export function signClerk (drafts: readonly Draft[], secret: string, path: string, now = new Date()): SignedRequest[] {
  const webhook = new Webhook(secret)
  const timestamp = String(Math.floor(now.getTime() / 1000))
  return drafts.map((draft) => ({
    path,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Svix-Webhooks/1.99.1',
      'svix-id': draft.id,
      'svix-timestamp': timestamp,
      'svix-signature': webhook.sign(draft.id, now, draft.body)
    },
    body: Buffer.from(draft.body)
  }))
}

/**
 * Chaindoc SDK 2.x (docs/provider-specs.md §3.2): envelope {id,type,createdAt,data};
 * `x-chaindoc-signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>`.
 * createdAt is the delivery time, so the body is made at signing time.
 */
export function signChaindoc (n: number, secret: string, path: string, now = new Date()): SignedRequest[] {
  const timestamp = now.toISOString()
  const out: SignedRequest[] = []
  for (let i = 0; i < n; i++) {
    const id = randomUUID()
    const body = JSON.stringify({
      id,
      type: 'document.signed',
      createdAt: timestamp,
      data: { documentId: randomUUID(), signatureRequestId: randomUUID(), signerId: randomUUID(), status: 'signed' }
    })
    const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
    out.push({
      path,
      headers: {
        'content-type': 'application/json',
        'x-chaindoc-event': 'document.signed',
        'x-chaindoc-delivery-id': id,
        'x-chaindoc-timestamp': timestamp,
        'x-chaindoc-signature': `v1=${signature}`
      },
      body: Buffer.from(body)
    })
  }
  return out
}

/** Hands out each request once; `undefined` when spent (a run never resends one). */
export interface Pool {
  next (): SignedRequest | undefined
  readonly used: number
  readonly size: number
}

export function poolOf (requests: readonly SignedRequest[]): Pool {
  let cursor = 0
  return {
    next: () => requests[cursor++],
    get used () { return Math.min(cursor, requests.length) },
    size: requests.length
  }
}

/** A fresh svix-style secret: whsec_ + base64 of 24 random bytes. */
export function newSvixSecret (): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}
