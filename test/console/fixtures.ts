/** Console tests: a signed-in session through app.inject(), and the CSRF token of a page. */
import type { FastifyInstance } from 'fastify'
import { ADMIN_TOKEN } from '../fixtures/admin.js'

export const HOST = 'gateway.test:8080'
export const ORIGIN = `http://${HOST}`

export async function signIn (app: FastifyInstance, token = ADMIN_TOKEN) {
  const res = await app.inject({ method: 'POST', url: '/ui/login', headers: { origin: ORIGIN, host: HOST, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ token }).toString() })
  const setCookie = String(res.headers['set-cookie'] ?? '')
  const cookie = setCookie.split(';')[0] ?? ''
  return { res, setCookie, cookie }
}

export async function get (app: FastifyInstance, cookie: string, url: string) {
  return await app.inject({ method: 'GET', url, headers: { cookie, host: HOST } })
}

export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? ''

export async function post (app: FastifyInstance, cookie: string, url: string, fields: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) {
  return await app.inject({
    method: 'POST', url, headers: { cookie, host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(fields).toString()
  })
}
