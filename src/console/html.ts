/**
 * HTML from tagged templates: every interpolated value is escaped unless it
 * is already Html (made by this tag or by raw()). A page is a handful of
 * these, so no template engine is needed, and nothing a webhook sent (a
 * header, a body, a type) can become markup.
 */
export class Html {
  constructor (readonly text: string) {}
  toString (): string { return this.text }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

type Value = Html | string | number | boolean | null | undefined | readonly Value[]

function render (value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html (strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!
  return new Html(out)
}

/** Markup this code made itself (an SVG path), never text from outside. */
export const raw = (text: string): Html => new Html(text)

/** A query string from the values that are set, for links that keep the filters. */
export function query (params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}
