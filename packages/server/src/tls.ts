import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Secret, WrError, dataDirUnusable } from '@wr/common';

/**
 * A server's or client's TLS identity: its private key (PEM), its self-signed certificate (PEM) and that
 * certificate's SHA-256 fingerprint, the value peers pin. There is no CA: each side pins the other's fingerprint,
 * so a certificate is trusted because the admin listed it, not because someone signed it.
 */
export interface TlsIdentity {
  key: Secret<string>;
  cert: string;
  fingerprint: string;
}

/** A certificate fingerprint as configs and rosters carry it: SHA-256 of the DER certificate, 64 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/** The fingerprint of a PEM certificate. */
export function certificateFingerprint(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** The fingerprint of the certificate a peer presented on `socket`, or undefined when it presented none. */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  const raw = socket.getPeerCertificate()?.raw;
  return raw && raw.length > 0 ? createHash('sha256').update(raw).digest('hex') : undefined;
}

/** A fingerprint setting, checked and normalised (colons and case as `openssl x509 -fingerprint` prints them are accepted). */
export function parseFingerprint(value: string, param: string): string {
  const fp = value.trim().replace(/:/g, '').toLowerCase();
  if (!FINGERPRINT_PATTERN.test(fp)) {
    throw new WrError(
      'CONFIG_INVALID',
      `${param}: ${JSON.stringify(value)} is not a SHA-256 certificate fingerprint (64 hex digits, as wr node init / wr workspace init print it)`,
      {
        param,
      },
    );
  }
  return fp;
}

/** Loads a TLS key and certificate from files; one that is missing or unreadable is CONFIG_INVALID naming it. */
export function loadTlsIdentity(keyFile: string, certFile: string): TlsIdentity {
  const read = (param: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new WrError(
        'CONFIG_INVALID',
        `${param}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): run wr node init, or give the file`,
        {
          param,
          cause: err,
        },
      );
    }
  };
  const key = new Secret(read('tlsKeyFile', keyFile));
  const cert = read('tlsCertFile', certFile);
  let fingerprint: string;
  try {
    createPrivateKey(key.expose());
    fingerprint = certificateFingerprint(cert);
  } catch (err) {
    throw new WrError('CONFIG_INVALID', `tlsCertFile: ${certFile} or ${keyFile} is not a PEM certificate and key`, { param: 'tlsCertFile', cause: err });
  }
  return { key, cert, fingerprint };
}

/** 20 years: the certificate is pinned, not trusted by date, and replacing it is a roster change. */
const VALIDITY_MS = 20 * 365 * 24 * 3600_000;

/**
 * The TLS identity in `keyFile` and `certFile`, made on first use: an ECDSA P-256 key (0600) and a self-signed
 * certificate naming `commonName`, with every host (DNS name or IP address) in its subjectAltName. Made once: a later
 * call returns what is on disk unchanged, so the fingerprint in the roster stays valid.
 */
export async function ensureTlsIdentity(keyFile: string, certFile: string, commonName: string, hosts: string[]): Promise<TlsIdentity> {
  if (existsSync(keyFile) && existsSync(certFile)) return loadTlsIdentity(keyFile, certFile);
  // Loaded here only: @peculiar/x509 (with its reflect polyfill) is needed once per host, not by every command.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [...new Set(hosts)].map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, '_')}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + VALIDITY_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`.replace(/\n\n/g, '\n');
  try {
    writeFileSync(keyFile, keyPem, { mode: 0o600, flag: 'wx' });
    chmodSync(keyFile, 0o600);
    writeFileSync(certFile, cert.toString('pem') + '\n', { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw dataDirUnusable(keyFile, err);
  }
  return loadTlsIdentity(keyFile, certFile);
}

/** Whether `host` is a loopback address or name: the only place a node may listen without TLS. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
