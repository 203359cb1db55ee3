// What the bench runs is built first.
import { execFileSync } from 'node:child_process'

/**
 * hookgate runs from its own build (`npm run build`); the bench's children
 * from bench/tsconfig.json. Returns the first lines of any error: a gateway
 * that does not build is reported and skipped, the baselines still run.
 */
export function build (): string | null {
  const npm = process.env.npm_execpath
  const steps: Array<[string, string[]]> = [
    npm === undefined ? ['npm', ['run', 'build']] : [process.execPath, [npm, 'run', 'build']],
    [process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.json']]
  ]
  const errors: string[] = []
  for (const [command, args] of steps) {
    try {
      execFileSync(command, args, { stdio: 'pipe' })
    } catch (err) {
      const output = String((err as { stdout?: Buffer }).stdout ?? err)
      errors.push(`${args.slice(-2).join(' ')}: ${output.split('\n').filter((l) => l.includes('error')).slice(0, 3).join(' | ')}`)
    }
  }
  return errors.length === 0 ? null : errors.join('\n')
}
