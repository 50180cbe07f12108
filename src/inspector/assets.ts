import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files the inspector page is made of; all served from this machine, none from a CDN. */
interface Asset {
  path: string;
  type: string;
}

const pageDir = join(dirname(fileURLToPath(import.meta.url)), 'page');
const dagreDir = join(
  dirname(createRequire(import.meta.url).resolve('@dagrejs/dagre/package.json')),
  'dist',
);

const ASSETS: Record<string, Asset> = {
  '/': { path: join(pageDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: join(pageDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { path: join(pageDir, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/dagre.min.js': {
    path: join(dagreDir, 'dagre.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

/** The asset served at a URL path, read once and kept. */
const loaded = new Map<string, Promise<Buffer>>();

export function assetAt(
  urlPath: string,
): { type: string; body: () => Promise<Buffer> } | undefined {
  const asset = ASSETS[urlPath];
  if (!asset) return undefined;
  return {
    type: asset.type,
    body: () => {
      let body = loaded.get(asset.path);
      if (!body) {
        body = readFile(asset.path);
        loaded.set(asset.path, body);
      }
      return body;
    },
  };
}
