import { createHash } from 'node:crypto'
import { css } from './style.js'
import { js } from './script.js'

const version = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12)

/** Each asset under a name that changes with its content, so browsers may keep it for a year. */
export const ASSETS = {
  [`/ui/assets/console-${version(css)}.css`]: { type: 'text/css; charset=utf-8', body: css },
  [`/ui/assets/console-${version(js)}.js`]: { type: 'text/javascript; charset=utf-8', body: js }
} as const
export const ASSET_PATHS = {
  css: `/ui/assets/console-${version(css)}.css`,
  js: `/ui/assets/console-${version(js)}.js`
}
