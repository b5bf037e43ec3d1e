import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

// Certificates for the agent link: one CA, a server certificate for the bridge and a client
// certificate per agent whose Common Name and DNS name are the agent id (docs/security.md).
// Keys come from Node's own RSA generator; node-forge only writes the X.509 structures.

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  days: number;
  /** For tests: when validity starts (default now, less a minute of clock skew). */
  notBefore?: Date;
}

function keyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function base(publicKey: forge.pki.PublicKey, options: IssueOptions): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive 128-bit serial (the top bit clear), as RFC 5280 wants.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const from = options.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notBefore = from;
  cert.validity.notAfter = new Date(from.getTime() + options.days * 86_400_000);
  return cert;
}

/** A self-signed CA that signs bridge and agent certificates only. */
export function issueCa(commonName: string, options: IssueOptions): Issued {
  const keys = keyPair();
  const cert = base(keys.publicKey, options);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'fleetpulse' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** A leaf certificate signed by the CA: a server's for the bridge, a client's for an agent. */
export function issueLeaf(ca: Issued, kind: 'server' | 'client', names: string[], options: IssueOptions): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = keyPair();
  const cert = base(keys.publicKey, options);
  cert.setSubject([{ name: 'commonName', value: names[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: kind === 'server', clientAuth: kind === 'client' },
    { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}
