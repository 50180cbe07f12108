import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { UnsafeStateFileError } from '../shared/errors.js';

/**
 * State files are created and opened without following symbolic links, and private whatever the
 * umask: a link planted where a state file belongs would otherwise make the plan write through
 * it, over a file of the planter's choosing. Every function here refuses such a link with an
 * `UnsafeStateFileError` naming the path.
 */

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR } = constants;
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;

const LINK_PROBLEM =
  'a symbolic link is there; state files are never written through links (remove it)';

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/**
 * Creates the folder if needed (0700); refuses a link or a non-folder there. A folder that was
 * there keeps its mode: it may be the user's own, and the state files in it are 0600 anyway.
 */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
  }
  const info = await lstat(dir);
  if (info.isSymbolicLink()) {
    throw new UnsafeStateFileError(
      dir,
      'the state folder is a symbolic link; give the folder it points to instead',
    );
  }
  if (!info.isDirectory()) throw new UnsafeStateFileError(dir, 'it is not a folder');
}

/** Refuses anything but a regular file at `path`; absent is fine. */
export async function checkStateFile(path: string): Promise<'absent' | 'file'> {
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) throw new UnsafeStateFileError(path, LINK_PROBLEM);
    if (!info.isFile()) throw new UnsafeStateFileError(path, 'it is not a regular file');
    return 'file';
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'absent';
    throw error;
  }
}

function unsafeWhenLink(path: string, error: unknown): unknown {
  // O_NOFOLLOW fails with ELOOP on a link; O_EXCL with EEXIST on anything, a link included.
  return codeOf(error) === 'ELOOP' ? new UnsafeStateFileError(path, LINK_PROBLEM) : error;
}

/**
 * Clears the place of a local socket before `listen`: a socket left by an earlier run goes; a
 * link or any other file there is refused (the socket is bound only where nothing is).
 */
export async function clearSocketPath(path: string): Promise<void> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw error;
  }
  if (info.isSymbolicLink()) throw new UnsafeStateFileError(path, LINK_PROBLEM);
  if (!info.isSocket()) throw new UnsafeStateFileError(path, 'it is not a socket');
  await unlink(path);
}

/**
 * Creates a new file (0600), failing with EEXIST if anything, even a dangling link, is there.
 * `flags` adds open flags (`O_DSYNC`, say).
 */
export async function createPrivateFile(path: string, flags = 0): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | flags, PRIVATE_FILE_MODE);
  } catch (error) {
    if (codeOf(error) === 'EEXIST' && (await lstat(path)).isSymbolicLink()) {
      throw new UnsafeStateFileError(path, LINK_PROBLEM);
    }
    throw error;
  }
  try {
    await handle.chmod(PRIVATE_FILE_MODE); // the umask may have taken bits away, never added
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** Opens an existing state file for reading and writing, never through a link; `flags` adds open flags. */
export async function openStateFile(
  path: string,
  forWriting: boolean,
  flags = 0,
): Promise<FileHandle> {
  try {
    return await open(path, (forWriting ? O_RDWR : O_RDONLY) | O_NOFOLLOW | flags);
  } catch (error) {
    throw unsafeWhenLink(path, error);
  }
}

/** Reads a state file as text, never through a link. */
export async function readStateFile(path: string): Promise<string> {
  const handle = await openStateFile(path, false);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes every byte of `data` at `position`. A write may take fewer bytes than given (a full
 * disk takes what fits); the rest is written again until the file system refuses with an error.
 */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) {
      throw Object.assign(
        new Error(`short write: ${done} of ${data.length} bytes written, then none`),
        { code: 'EIO' },
      );
    }
    done += bytesWritten;
  }
}

/** Creates a new private file with `data`, synced; an existing file or link there is refused. */
export async function createPrivateFileWith(path: string, data: string | Buffer): Promise<void> {
  const handle = await createPrivateFile(path);
  try {
    await writeAll(handle, Buffer.from(data), 0);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => {});
    throw error;
  }
  await handle.close();
}

/**
 * Writes a private file (0600) whole or not at all: a temporary file beside it, synced, renamed
 * over it. A link (or anything but a regular file) at `path` is refused, never replaced.
 */
export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await checkStateFile(path);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await createPrivateFileWith(temporary, data);
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Makes a folder's entries durable (fsync of the folder itself): a synced file is not found
 * again after a power loss unless the entry naming it is on disk too.
 */
export async function syncFolder(dir: string): Promise<void> {
  // Windows opens no folder for syncing; NTFS journals its folder entries itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, O_RDONLY | (O_DIRECTORY ?? 0) | O_NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
