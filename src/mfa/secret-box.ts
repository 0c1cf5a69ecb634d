import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The format's version prefix, so a later key or cipher change can tell old boxes apart. */
const VERSION = 'v1';

/**
 * Seals small secrets (TOTP seeds) for storage with AES-256-GCM under a key derived by HKDF-SHA-256 from the
 * cluster's server secret. Why: a database dump alone must not yield second factors; every node derives the same
 * key, and `purpose` keeps keys for different uses apart. The account id is bound as associated data, so a box
 * copied onto another account's row does not open.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(serverSecret: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, 'gatehouse', `gatehouse/${purpose}`, 32));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(boundTo));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, sealed, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** The plaintext, or null when the box is malformed, tampered with, bound to something else or sealed under another key. */
  open(box: string, boundTo: string): string | null {
    const [version, iv, sealed, tag] = box.split('.');
    if (version !== VERSION || !iv || sealed === undefined || !tag) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
