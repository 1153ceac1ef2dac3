import compress from '@fastify/compress'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The dashboard keeps its token in localStorage, so an injected script would own the session:
 * scripts and styles come only from our own origin (the built bundle has no inline ones: Vite
 * emits files, Preact sets styles through the DOM, which CSP allows), nothing may frame us, and
 * no referrer leaves. `connect-src 'self'` covers the same-origin WebSocket. No
 * upgrade-insecure-requests: a plain-HTTP install on a LAN address would lose its own assets.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
}

/**
 * Swagger UI is a third-party bundle whose runtime styling we do not control, so its pages (and
 * only those) allow inline styles; its scripts are files (no inline ones), so they stay same-origin.
 */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; script-src 'self'; script-src-attr 'none'; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"

async function securityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: 'no-referrer' },
    // Same-origin by default; the API's own CORS answers are what let the listed origins read it.
    crossOriginResourcePolicy: { policy: 'same-site' },
  })
  // JSON and the bundle; small answers are not worth the CPU (threshold in bytes).
  await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip', 'deflate'] })
}

export default fp(securityHeaders, { name: 'security-headers' })
