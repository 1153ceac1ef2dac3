import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import { MIGRATIONS_DIR, migrateToLatest } from './migrate.js'

/**
 * A pre-initialised PGlite data directory: initdb (most of a fresh start: seconds of WASM) and the
 * migrations of its build, dumped once as a tarball (`<path>.tar`) with a manifest (`<path>.json`).
 * A new database loads it instead of running initdb; the migrations still run on top, so a
 * snapshot older than the migrations is upgraded, never trusted as the final schema. It holds no
 * rows of any table the service writes: accounts, hashes and tokens stay per installation.
 */

interface Manifest {
  format: 1
  /** The PGlite release that wrote it: another release may lay out or read the files differently. */
  pglite: string
  migrations: string[]
  bytes: number
  sha256: string
}

interface Logger {
  warn(obj: object, msg?: string): void
}

let installed: Promise<string> | undefined

/** The installed PGlite release (its package.json is not exported, so found beside its entry). */
export function pgliteVersion(): Promise<string> {
  installed ??= (async () => {
    const entry = new URL(import.meta.resolve('@electric-sql/pglite'))
    const pkg = JSON.parse(await readFile(new URL('../package.json', entry), 'utf8')) as { version: string }
    return pkg.version
  })()
  return installed
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  // Renamed into place so that a reader never sees half a file, even with two builds at once.
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/** Runs initdb and the migrations in memory and writes the snapshot. Build time, not start time. */
export async function writeSnapshot(path: string, migrationsDir = MIGRATIONS_DIR): Promise<Manifest> {
  const pglite = new PGlite()
  await pglite.waitReady
  const db = new Kysely({ dialect: new PGliteDialect(pglite) })
  try {
    const migrations = await migrateToLatest(db, migrationsDir)
    // Everything in the data files, nothing left to redo from the WAL when it is loaded.
    await pglite.exec('CHECKPOINT')
    const tar = new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer())
    const manifest: Manifest = {
      format: 1,
      pglite: await pgliteVersion(),
      migrations: migrations.applied,
      bytes: tar.byteLength,
      sha256: createHash('sha256').update(tar).digest('hex'),
    }
    await mkdir(dirname(path), { recursive: true })
    // The tarball first, the manifest last: a manifest always describes a complete tarball.
    await writeAtomically(`${path}.tar`, tar)
    await writeAtomically(`${path}.json`, `${JSON.stringify(manifest, null, 2)}\n`)
    return manifest
  } finally {
    await db.destroy()
  }
}

/**
 * The snapshot's tarball if it can be trusted: written by this PGlite release, complete, and
 * byte for byte what was written (PGlite itself does not notice a damaged tarball: a truncated one
 * loads with files missing). Otherwise undefined, with a warning; no snapshot at all is silent.
 */
export async function readSnapshot(path: string, log?: Logger): Promise<Buffer | undefined> {
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(`${path}.json`, 'utf8')) as Manifest
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    log?.warn(
      { snapshot: path, err: String(err) },
      'PGlite snapshot manifest unreadable: ignored, running initdb',
    )
    return undefined
  }
  const version = await pgliteVersion()
  if (manifest.format !== 1 || manifest.pglite !== version) {
    log?.warn(
      { snapshot: path, snapshot_pglite: manifest.pglite, pglite: version },
      'PGlite snapshot from another PGlite release: ignored, running initdb',
    )
    return undefined
  }
  let tar: Buffer
  try {
    tar = await readFile(`${path}.tar`)
  } catch (err) {
    log?.warn(
      { snapshot: path, err: String(err) },
      'PGlite snapshot tarball unreadable: ignored, running initdb',
    )
    return undefined
  }
  if (
    tar.byteLength !== manifest.bytes ||
    createHash('sha256').update(tar).digest('hex') !== manifest.sha256
  ) {
    log?.warn(
      { snapshot: path, bytes: tar.byteLength, expected_bytes: manifest.bytes },
      'PGlite snapshot corrupt (size or checksum): ignored, running initdb',
    )
    return undefined
  }
  // Not a tarball at all (PGlite would take it for gzip, and zlib's error escapes as uncaught).
  if (tar.subarray(257, 262).toString('latin1') !== 'ustar') {
    log?.warn({ snapshot: path }, 'PGlite snapshot is not a tarball: ignored, running initdb')
    return undefined
  }
  return tar
}

/**
 * Unpacks the snapshot's tarball into an empty `dir` with plain file writes: PGlite's own loader
 * goes through its emulated file system, a path lookup and a host call per component of every
 * path (over a thousand files), which takes twice as long as opening the result. Only what PGlite
 * writes is understood (ustar, regular files and directories, relative paths); anything else
 * returns false and PGlite's loader is used instead.
 */
function unpackInto(tar: Buffer, dir: string): boolean {
  const field = (at: number, length: number) => {
    const raw = tar.subarray(at, at + length)
    const end = raw.indexOf(0)
    return raw.subarray(0, end === -1 ? length : end).toString('utf8')
  }
  const entries: Array<{ path: string; type: 'file' | 'dir'; data: Buffer }> = []
  let at = 0
  while (at + 512 <= tar.length && tar[at] !== 0) {
    const prefix = field(at + 345, 155)
    const name = `${prefix ? `${prefix}/` : ''}${field(at, 100)}`.replace(/^\/+/, '')
    const size = Number.parseInt(field(at + 124, 12).trim() || '0', 8)
    const flag = String.fromCharCode(tar[at + 156]!)
    const type = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'dir' : undefined
    if (!type || !Number.isFinite(size) || name.split('/').includes('..')) return false
    entries.push({ path: join(dir, name), type, data: tar.subarray(at + 512, at + 512 + size) })
    at += 512 + Math.ceil(size / 512) * 512
  }
  // Without it PGlite would run initdb over whatever was unpacked.
  if (!entries.some((e) => e.type === 'file' && e.path === join(dir, 'PG_VERSION')))
    throw new Error('no PG_VERSION in the snapshot: not a data directory')
  for (const entry of entries) {
    if (entry.type === 'dir') mkdirSync(entry.path, { recursive: true })
    else {
      mkdirSync(dirname(entry.path), { recursive: true })
      writeFileSync(entry.path, entry.data)
    }
  }
  return true
}

/** True when there is nothing in `dir` (or no `dir`): the only place a snapshot may be unpacked. */
async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
}

/**
 * Opens PGlite in `dataDir` (null: in memory). A new database starts from the snapshot when one
 * is usable; an existing directory is opened as it is, exactly as without a snapshot.
 */
export async function openPGlite(
  dataDir: string | null,
  options: { snapshot?: string; logger?: Logger } = {},
): Promise<PGlite> {
  const fresh = dataDir === null || (await isEmptyDir(dataDir))
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const tar = fresh && options.snapshot ? await readSnapshot(options.snapshot, options.logger) : undefined
  if (tar) {
    let pglite: PGlite | undefined
    try {
      if (dataDir === null) pglite = new PGlite({ loadDataDir: new Blob([new Uint8Array(tar)]) })
      else if (unpackInto(tar, dataDir)) pglite = new PGlite(dataDir)
      else pglite = new PGlite(dataDir, { loadDataDir: new Blob([new Uint8Array(tar)]) })
      await pglite.waitReady
      await pglite.query('SELECT 1')
      return pglite
    } catch (err) {
      options.logger?.warn(
        { snapshot: options.snapshot, err: String(err) },
        'PGlite snapshot did not start: ignored, running initdb',
      )
      await pglite?.close().catch(() => undefined)
      // The directory was empty before: what is in it now is the failed unpack, nothing else.
      if (dataDir) {
        for (const name of await readdir(dataDir))
          await rm(join(dataDir, name), { recursive: true, force: true })
      }
    }
  }
  const pglite = dataDir ? new PGlite(dataDir) : new PGlite()
  await pglite.waitReady
  return pglite
}
