import type { DestinationConfig, SubjectOrdering } from './load.js'

/**
 * The destinations that order by subject, name → what a dead head does
 * there: the map the store's claims, held-subject reads and counts take.
 */
export function subjectOrdering (destinations: Readonly<Record<string, DestinationConfig>>): Readonly<Record<string, SubjectOrdering['onDead']>> {
  return Object.fromEntries(Object.values(destinations).flatMap((d) => d.ordering === null ? [] : [[d.name, d.ordering.onDead]]))
}
