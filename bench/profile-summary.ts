// Where a server's time goes: the self time of a V8 .cpuprofile (from
// `npm run bench -- --cpu-prof`) by function and by package or source file.
// Usage: tsx bench/profile-summary.ts bench/results/profiles/CPU.….cpuprofile [top]
// [--minus OTHER.cpuprofile]: with --minus, the busy time by package / file of
// the first profile less the second's (a gateway with a destination against
// one without, say), largest differences first.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** node_modules/<pkg>, a project file, node:internal, or a V8 pseudo-frame like (garbage collector). */
function placeOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
  if (pkg !== undefined) return pkg
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(\w+).*/, 'node:$1')
  const project = /\/(dist\/)?((src|providers|bench)\/.*)$/.exec(url)?.[2]
  return project ?? url
}

export function summariseProfile (profile: CpuProfile): { totalMs: number, byFunction: Map<string, number>, byPlace: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  let totalMs = 0
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const frame = nodes.get(id)?.callFrame
    if (frame === undefined) return
    totalMs += ms
    const place = placeOf(frame.url, frame.functionName)
    const fn = `${frame.functionName || '(anonymous)'} ${place}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms)
  })
  return { totalMs, byFunction, byPlace }
}

/** Shares of the busy time: a profile spans the whole process, idle phases included. */
function top (map: Map<string, number>, busyMs: number, n: number): string[] {
  return [...map].filter(([name]) => !name.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, ms]) => `${(100 * ms / busyMs).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`)
}

const minusAt = process.argv.indexOf('--minus')
const minus = minusAt === -1 ? undefined : process.argv[minusAt + 1]
const [file, count = '25'] = process.argv.slice(2).filter((a, i, all) => a !== '--minus' && all[i - 1] !== '--minus')
const read = (path: string): ReturnType<typeof summariseProfile> => summariseProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile)
if (file !== undefined && minus !== undefined) {
  const a = read(file).byPlace
  const b = read(minus).byPlace
  const places = new Set([...a.keys(), ...b.keys()].filter((name) => name !== '(idle)'))
  const diff = [...places].map((name): [string, number] => [name, (a.get(name) ?? 0) - (b.get(name) ?? 0)]).sort((x, y) => y[1] - x[1])
  const total = diff.reduce((sum, [, ms]) => sum + ms, 0)
  process.stdout.write([`${file} less ${minus}: ${total.toFixed(0)} ms busy more`, '',
    ...diff.slice(0, Number(count)).map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${name}`), ''].join('\n'))
} else if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [top]\n')
  process.exitCode = 2
} else {
  const { totalMs, byFunction, byPlace } = read(file)
  const n = Number(count)
  const busyMs = totalMs - (byPlace.get('(idle)') ?? 0)
  process.stdout.write([
    `${file}: ${totalMs.toFixed(0)} ms sampled, ${busyMs.toFixed(0)} ms busy; shares below are of the busy time`,
    '', 'self time by package / file:', ...top(byPlace, busyMs, n),
    '', 'self time by function:', ...top(byFunction, busyMs, n), ''
  ].join('\n'))
}
