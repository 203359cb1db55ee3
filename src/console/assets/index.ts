import { createHash } from 'node:crypto'
import { css } from './style.js'
import { js } from './script.js'

/** A hook in a box: without an icon the browser asks for /favicon.ico and logs the 404. */
const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0550ae"/><path d="M9 3v6a3 3 0 1 1-6 0" fill="none" stroke="#fff" stroke-width="2"/></svg>'

const version = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12)

/** Each asset under a name that changes with its content, so browsers may keep it for a year. */
export const ASSETS = {
  [`/ui/assets/console-${version(css)}.css`]: { type: 'text/css; charset=utf-8', body: css },
  [`/ui/assets/console-${version(js)}.js`]: { type: 'text/javascript; charset=utf-8', body: js },
  [`/ui/assets/icon-${version(icon)}.svg`]: { type: 'image/svg+xml', body: icon }
} as const
export const ASSET_PATHS = {
  css: `/ui/assets/console-${version(css)}.css`,
  js: `/ui/assets/console-${version(js)}.js`,
  icon: `/ui/assets/icon-${version(icon)}.svg`
}
