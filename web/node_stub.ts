/** Stand-ins for the Node built-ins that src/data/idx.ts imports; the page never calls them. */
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser`);
}

export const readFileSync = (): never => unavailable('fs.readFileSync');
export const gunzipSync = (): never => unavailable('zlib.gunzipSync');
