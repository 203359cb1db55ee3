// A realistic Clerk `user.created` body (~1.5 KB): the catalog sample from
// docs/provider-specs.md §2.4 plus the UserJSON fields the SDK adds. Only the ids,
// the e-mail and the times vary, so every request is a distinct user.

export interface ClerkUser {
  userId: string
  emailId: string
  externalId: string
  atMs: number
}

export function clerkUserCreatedBody (user: ClerkUser): string {
  const { userId, emailId, externalId, atMs } = user
  const email = `${externalId}@example.org`
  return JSON.stringify({
    data: {
      backup_code_enabled: false,
      banned: false,
      birthday: '',
      create_organization_enabled: true,
      created_at: atMs,
      delete_self_enabled: true,
      email_addresses: [{
        email_address: email,
        id: emailId,
        linked_to: [],
        object: 'email_address',
        verification: { status: 'verified', strategy: 'ticket' }
      }],
      enterprise_accounts: [],
      external_accounts: [],
      external_id: externalId,
      first_name: 'Example',
      gender: '',
      has_image: false,
      id: userId,
      image_url: 'https://img.clerk.com/xxxxxx',
      last_active_at: atMs,
      last_name: 'Example',
      last_sign_in_at: null,
      legal_accepted_at: null,
      locale: null,
      locked: false,
      lockout_expires_in_seconds: null,
      object: 'user',
      organization_memberships: [],
      password_enabled: true,
      password_last_updated_at: atMs,
      phone_numbers: [],
      primary_email_address_id: emailId,
      primary_phone_number_id: null,
      primary_web3_wallet_id: null,
      private_metadata: {},
      profile_image_url: 'https://www.gravatar.com/avatar?d=mp',
      public_metadata: { plan: 'free' },
      totp_enabled: false,
      two_factor_enabled: false,
      unsafe_metadata: {},
      updated_at: atMs + 321,
      username: null,
      verification_attempts_remaining: 100,
      web3_wallets: []
    },
    event_attributes: {
      http_request: {
        client_ip: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36'
      }
    },
    instance_id: 'ins_2lW8xNcBzq5vY7tR3mK9pQ1aZ0e',
    object: 'event',
    timestamp: atMs + 321,
    type: 'user.created'
  })
}
