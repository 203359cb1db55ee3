import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder holding package.json and migrations/. Found by walking up, because
 * the same module runs from src/ under tsx and from dist/src/ once built.
 */
export function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('hookgate: cannot find the package root above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
  return dir
}
