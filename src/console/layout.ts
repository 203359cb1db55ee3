import { html, type Html } from './html.js'
import type { Session } from './sessions.js'
import { ASSET_PATHS } from './assets/index.js'

export interface View {
  readonly session: Session
  /** The page's path under /ui, to mark the current link. */
  readonly path: string
}

const NAV = [
  ['/ui/', 'Overview'],
  ['/ui/events', 'Events'],
  ['/ui/dead', 'Dead letters'],
  ['/ui/rejections', 'Rejections'],
  ['/ui/destinations', 'Destinations']
] as const

function shell (title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · hookgate</title>
<link rel="icon" href="${ASSET_PATHS.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_PATHS.css}">
<script src="${ASSET_PATHS.js}" defer></script>
</head>
${body}
</html>
`
}

/** A signed-in page: skip link, navigation, the one-shot flash message, sign out. */
export function page (view: View, title: string, content: Html): Html {
  const flash = view.session.flash
  view.session.flash = undefined
  const current = (href: string) => href === view.path || (href !== '/ui/' && view.path.startsWith(href + '/'))
  return shell(title, html`<body data-live-url="/ui/live">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/ui/">hookgate</a></p>
<nav aria-label="Console">
<ul>${NAV.map(([href, label]) => html`<li><a href="${href}"${current(href) ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul>
</nav>
<p class="live" id="live-status" role="status">Live updates off</p>
<form method="post" action="/ui/logout" class="signout">
${csrfField(view)}<button type="submit">Sign out</button>
</form>
</header>
<main id="main">
<h1>${title}</h1>
${flash === undefined ? '' : html`<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</p>`}
${content}
</main>
</body>`)
}

export const csrfField = (view: View): Html => html`<input type="hidden" name="_csrf" value="${view.session.csrf}">`

/**
 * A POST form of one button: every action goes through one, with the
 * session's CSRF token. `target` names what it acts on for a screen reader
 * ("Retry delivery 7"), keeping the visible label first in the name.
 */
export function actionButton (view: View, action: string, label: string, target: string, fields: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(view)}${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<button type="submit" aria-label="${label} ${target}">${label}</button></form>`
}

export function signInPage (message?: { text: string, status: number }): Html {
  return shell('Sign in', html`<body>
<main id="main" class="signin">
<h1>hookgate console</h1>
<form method="post" action="/ui/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
${message === undefined ? '' : html`<p class="flash error" role="alert">${message.text}</p>`}
</main>
</body>`)
}

export function errorPage (status: number, code: string, message: string, signedIn: boolean): Html {
  return shell(`Error ${status}`, html`<body>
<main id="main">
<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
<p class="flash error" role="alert"><code>${code}</code> ${message}</p>
<p><a href="${signedIn ? '/ui/' : '/ui/login'}">${signedIn ? 'Back to the overview' : 'Sign in'}</a></p>
</main>
</body>`)
}

const pad = (n: number) => String(n).padStart(2, '0')
/** "2026-11-23 12:00:05 UTC" in a <time>: the console shows UTC, as the logs and the API do. */
export function time (iso: string | null): Html {
  if (iso === null) return html`<span class="muted">—</span>`
  const d = new Date(iso)
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return html`<time datetime="${iso}">${text}</time>`
}

export function ago (seconds: number | null): string {
  if (seconds === null) return '—'
  if (seconds < 60) return `${Math.round(seconds)} s`
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86400).toFixed(1)} d`
}

export const statusBadge = (status: string): Html => html`<span class="badge ${status}">${status}</span>`
