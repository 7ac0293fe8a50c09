import { existsSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { MeshtapError } from '../util/errors.js';

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8898';

import { defaultDataDir } from '../store/data-dir.js';

export { defaultDataDir };

/** The options addHubOptions adds, as commander hands them to an action. */
export type HubFlags = { hub: string; token?: string; data: string };

export interface HubConnection {
  url: string;
  token: string | null;
}

/** `--hub URL` and `--token T` (or the token file a local hub wrote in the data directory). */
export function addHubOptions(cmd: Command): Command {
  return cmd
    .option('--hub <url>', 'the hub to talk to', process.env.MESHTAP_HUB ?? DEFAULT_HUB_URL)
    .option('--token <token>', 'API token (default: $MESHTAP_TOKEN, then the local hub token file)')
    .option('--data <dir>', 'data directory holding the local hub token', defaultDataDir());
}

export function hubConnection(flags: HubFlags): HubConnection {
  const tokenFile = join(flags.data, 'hub-token');
  const token =
    flags.token ??
    process.env.MESHTAP_TOKEN ??
    (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null);
  return { url: flags.hub.replace(/\/+$/, ''), token };
}

/** Calls the hub's REST API; a hub error comes back as a MeshtapError with the hub's code. */
export async function hubRequest(
  conn: HubConnection,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(conn.url + path, {
      method,
      headers: {
        ...(conn.token ? { authorization: `Bearer ${conn.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new MeshtapError(
      'CLI_HUB_UNREACHABLE',
      `cannot reach the hub at ${conn.url} (${(err as Error).cause ?? (err as Error).message}); is "meshtap tap" running?`,
    );
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: { error?: { code?: string; message?: string } } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Not a hub error body: report the status line.
    }
    throw new MeshtapError(
      parsed.error?.code ?? `HTTP_${res.status}`,
      parsed.error?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return res;
}

export async function hubJson<T>(
  conn: HubConnection,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  return (await (await hubRequest(conn, method, path, body)).json()) as T;
}

/** Streams a response body into a new file (or stdout for `-`); an existing file is never overwritten. */
export async function saveBody(res: Response, out: string): Promise<void> {
  if (res.body === null) return;
  let dest: NodeJS.WritableStream;
  try {
    dest = out === '-' ? process.stdout : (await createOutput(out)).createWriteStream();
  } catch (err) {
    // An unread body keeps its connection, and so the process, alive.
    await res.body.cancel();
    throw err;
  }
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), dest);
}

async function createOutput(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new MeshtapError(
        'CLI_OUTPUT_EXISTS',
        `${path} exists: meshtap does not overwrite it (choose another -o)`,
      );
    }
    throw new MeshtapError('CLI_OUTPUT', `cannot create ${path}: ${(err as Error).message}`);
  }
}
