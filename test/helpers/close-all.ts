/** Closes what a suite opened, in the order given, skipping whatever a failed `beforeAll` never opened. */
export async function closeAll(...parts: Array<{ close(): unknown } | undefined>): Promise<void> {
  for (const part of parts) await part?.close();
}
