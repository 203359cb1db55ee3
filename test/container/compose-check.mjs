// Checks compose.yaml and compose.postgres.yaml without a compose engine: it parses, its services are
// the documented ones, and every file it points at exists (the build context
// and its Dockerfile, each bind mount, and .env.example for the env_file).
// Prints the problems and exits 1 if there are any.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

const root = process.argv[2] ?? '.'
const problems = []
const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'))
const services = compose?.services ?? {}

for (const name of ['hookgate', 'echo']) if (!(name in services)) problems.push(`no service '${name}'`)
const hookgate = services.hookgate ?? {}
if (hookgate.build !== undefined && !existsSync(join(root, String(hookgate.build.context ?? hookgate.build), 'Dockerfile'))) {
  problems.push(`hookgate.build: no Dockerfile in ${hookgate.build}`)
}
for (const file of [hookgate.env_file ?? []].flat()) {
  // .env is the user's own copy; the repository ships its template.
  if (!existsSync(join(root, `${file}.example`))) problems.push(`hookgate.env_file ${file}: no ${file}.example to copy it from`)
}
if (!(hookgate.volumes ?? []).some((v) => String(v).endsWith(':/etc/hookgate/config.yaml:ro'))) {
  problems.push('hookgate: config is not mounted read-only at /etc/hookgate/config.yaml')
}
if (!(hookgate.volumes ?? []).some((v) => /^[\w.-]+:\/data$/.test(String(v)))) problems.push('hookgate: no named volume at /data')
if (hookgate.healthcheck?.test === undefined) problems.push('hookgate: no healthcheck')
// compose.postgres.yaml: two replicas of the same service on one PostgreSQL.
const replicated = parse(readFileSync(join(root, 'compose.postgres.yaml'), 'utf8'), { merge: true })
for (const name of ['postgres', 'hookgate-1', 'hookgate-2', 'echo']) if (!(name in (replicated?.services ?? {}))) problems.push(`compose.postgres.yaml: no service '${name}'`)
for (const name of ['hookgate-1', 'hookgate-2']) {
  const replica = replicated?.services?.[name] ?? {}
  if (!String(replica.environment?.HOOKGATE_DATABASE_URL ?? '').includes('@postgres:5432/')) problems.push(`compose.postgres.yaml: ${name} does not reach the postgres service`)
  if (replica.healthcheck?.test === undefined) problems.push(`compose.postgres.yaml: ${name} has no healthcheck`)
}

for (const [file, doc] of [['compose.yaml', compose], ['compose.postgres.yaml', replicated]]) {
  for (const [name, service] of Object.entries(doc?.services ?? {})) {
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0]
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(join(root, source))) problems.push(`${file}: ${name}.volumes: ${source} does not exist`)
      } else if (!(source in (doc.volumes ?? {}))) {
        problems.push(`${file}: ${name}.volumes: named volume ${source} is not declared`)
      }
    }
  }
}
if (problems.length > 0) {
  console.log(problems.join('\n'))
  process.exit(1)
}
