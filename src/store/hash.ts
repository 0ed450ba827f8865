/**
 * SHA-256 of a byte array as lower-case hex, with WebCrypto (`crypto.subtle`): native speed in Node, workerd
 * and browsers. Platform-neutral.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`sha256Hex: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  // WebCrypto's BufferSource type excludes SharedArrayBuffer-backed views; ours are plain ArrayBuffers
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
