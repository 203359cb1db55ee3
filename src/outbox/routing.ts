import type { DestinationConfig } from '../config/load.js'

/** A glob on event types: '*' stands for any run of characters ('user.*', '*.deleted'). */
export function globToRegExp (glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
}

export type Router = (source: string, type: string) => string[]

/** Compiles the destinations' filters once; the result answers per event at ingest. */
export function createRouter (destinations: Readonly<Record<string, DestinationConfig>>): Router {
  const compiled = Object.values(destinations).map((d) => ({
    name: d.name,
    sources: d.sources === null ? null : new Set(d.sources),
    events: d.events === null ? null : d.events.map(globToRegExp)
  }))
  return (source, type) => compiled
    .filter((d) => (d.sources === null || d.sources.has(source)) && (d.events === null || d.events.some((re) => re.test(type))))
    .map((d) => d.name)
}
