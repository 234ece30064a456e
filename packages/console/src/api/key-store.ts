/**
 * Where the signed-in key lives between visits: IndexedDB, which keeps a CryptoKey as the browser's own object
 * (structured clone), so the key stays non-extractable there too. localStorage could only hold its bytes.
 */
import type { SigningKey } from './sign.js';

const DB_NAME = 'wr-console';
const STORE = 'signin';
const RECORD = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export async function loadKey(): Promise<SigningKey | undefined> {
  const found = (await withStore('readonly', (s) => s.get(RECORD))) as SigningKey | undefined;
  return found && typeof found.apiKeyId === 'string' && found.privateKey instanceof CryptoKey ? found : undefined;
}

export async function saveKey(key: SigningKey): Promise<void> {
  await withStore('readwrite', (s) => s.put(key, RECORD));
}

export async function forgetKey(): Promise<void> {
  await withStore('readwrite', (s) => s.delete(RECORD));
}
